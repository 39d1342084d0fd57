"""The fast lemma path must give exactly what spaCy's lookup lemmatizer pipeline gives."""

from __future__ import annotations

import pytest

from classifiers.text import features
from classifiers.text.data import read_labelled_csv
from classifiers.text.features import lemma_strings, text_pipeline
from tests.support.awkward_texts import AWKWARD_TEXTS, BANKING77_TRAIN


def pipeline_lemmas(texts: list[str]) -> list[str]:
    """The reference: the full spaCy pipeline, token by token."""
    return [
        " ".join(token.lemma_.lower() for token in doc if not token.is_space)
        for doc in text_pipeline().pipe(texts)
    ]


def test_lemma_strings_match_the_spacy_pipeline_on_real_and_awkward_texts() -> None:
    texts = read_labelled_csv(BANKING77_TRAIN, "text", "category").texts[:3000] + AWKWARD_TEXTS
    assert lemma_strings(texts) == pipeline_lemmas(texts)


def test_lemmas_are_looked_up_case_sensitively_then_lowered_and_spaces_dropped() -> None:
    # spaCy's lookup table is case-sensitive: "Running" stays, "running" becomes "run"
    assert lemma_strings(["The mice were Running\n\n running"]) == ["the mouse be running run"]


def test_a_full_cache_is_cleared_and_results_stay_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = ["cards were lost", "my geese are flying", "payments declined twice"]
    expected = pipeline_lemmas(texts)
    cache = features._lemma_cache()
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    assert lemma_strings(texts) == expected
    assert len(cache._lemmas) <= 2
