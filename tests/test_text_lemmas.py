"""The fast lemma path must give exactly what spaCy's lookup lemmatizer pipeline gives."""

from __future__ import annotations

import random

import pytest
import spacy

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


@pytest.fixture
def empty_caches() -> None:
    """Fresh caches, so a test sees the tokenizer path and then the cached one."""
    features._lemma_cache.cache_clear()
    features._run_lemmas.cache_clear()


def test_lemma_strings_match_the_spacy_pipeline_on_real_and_awkward_texts(
    empty_caches: None,
) -> None:
    texts = read_labelled_csv(BANKING77_TRAIN, "text", "category").texts[:3000] + AWKWARD_TEXTS
    expected = pipeline_lemmas(texts)
    assert lemma_strings(texts) == expected  # tokenized, runs kept
    assert all(features._run_lemmas().known(text) is not None for text in texts)
    assert lemma_strings(texts) == expected  # from the kept runs alone


def test_runs_seen_in_some_texts_give_the_pipeline_lemmas_of_new_texts_made_from_them(
    empty_caches: None,
) -> None:
    # The run cache assumes spaCy tokenizes each whitespace-free run on its own: texts built
    # from runs of other texts, joined by every kind of whitespace, must still match spaCy.
    seen = read_labelled_csv(BANKING77_TRAIN, "text", "category").texts[:2000] + AWKWARD_TEXTS
    lemma_strings(seen)
    runs = [run for text in seen for run in text.split()]
    rng = random.Random(0)
    gaps = [" ", "  ", "\n", "\t", " \n\n ", "\u00a0", "\u2003", "\u3000", " \r\n"]
    made = []
    for _ in range(1000):
        picked = rng.sample(runs, rng.randint(1, 12))
        text = picked[0]
        for run in picked[1:]:
            text += rng.choice(gaps) + run
        made.append(rng.choice(["", " ", "\n"]) + text + rng.choice(["", " ", "\t"]))
    assert all(features._run_lemmas().known(text) is not None for text in made)
    assert lemma_strings(made) == pipeline_lemmas(made)


def test_a_full_run_cache_starts_over_and_results_stay_the_same(
    empty_caches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features._RunLemmas, "MAX_ENTRIES", 3)
    texts = ["cards were lost", "my geese are flying", "payments declined twice", "cards lost"]
    assert lemma_strings(texts) == pipeline_lemmas(texts)
    assert len(features._run_lemmas()._runs) <= 3
    assert lemma_strings(texts) == pipeline_lemmas(texts)


def test_lemmas_are_looked_up_case_sensitively_then_lowered_and_spaces_dropped() -> None:
    # spaCy's lookup table is case-sensitive: "Running" stays, "running" becomes "run"
    assert lemma_strings(["The mice were Running\n\n running"]) == ["the mouse be running run"]


def test_a_full_cache_is_cleared_and_results_stay_the_same(
    empty_caches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["cards were lost", "my geese are flying", "payments declined twice"]
    expected = pipeline_lemmas(texts)
    cache = features._lemma_cache()
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    assert lemma_strings(texts) == expected
    assert len(cache._lemmas) <= 2


def test_a_special_case_spanning_a_space_turns_the_run_cache_off() -> None:
    # Runs are only independent while no tokenizer rule joins them; with "e. g." as one
    # token, every text must go through the tokenizer (spaCy's own answer, not cached runs).
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.tokenizer.add_special_case("e. g.", [{"ORTH": "e. g."}])
    runs = features._RunLemmas(nlp, features._LemmaCache(nlp))
    for text in ["see e. here", "g. too", "see e. g. this"]:
        known = runs.known(text)
        got = known if known is not None else runs.learn(text)
        assert got == " ".join(t.lemma_.lower() for t in nlp(text) if not t.is_space)
    assert runs.known("e. g.") is None
