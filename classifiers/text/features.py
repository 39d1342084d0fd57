"""Text handling before the model: size limit, spaCy tokens and lemmas, a script check.

The spaCy pipeline is a blank English tokenizer with the lookup lemmatizer from
spacy-lookups-data (no statistical model, nothing downloaded); it is built once per process on
first use. The sklearn feature union sees two views of each text: lower-cased lemmas joined by
spaces (word n-grams) and the raw text (character n-grams).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer

if TYPE_CHECKING:
    import pandas as pd
    from spacy.language import Language

# Longer texts are cut here before classification: the opening of a complaint carries its
# topic, and a 1 MB paste must not stall a worker.
MAX_TEXT_CHARS = 5_000
RAW, LEMMAS = "raw", "lemmas"


@lru_cache(maxsize=1)
def text_pipeline() -> Language:
    """Blank English tokenizer plus the lookup lemmatizer (tables from spacy-lookups-data)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def clip(text: str) -> str:
    """The text cut to MAX_TEXT_CHARS characters."""
    return text[:MAX_TEXT_CHARS]


def lemma_strings(texts: Sequence[str]) -> list[str]:
    """Each text as its lower-cased lemmas joined by single spaces (whitespace tokens dropped).

    The same strings as running the pipeline and reading `token.lemma_.lower()`, several times
    faster. spaCy's tokenizer cuts a text at whitespace first and tokenizes each run of
    non-space characters on its own, so a run's lemmas do not depend on its neighbours:
    `_RunLemmas` keeps them per distinct run, and a text whose runs have all been seen is
    only split and looked up. Other texts go through the tokenizer, each distinct token looked
    up in the lemmatizer's table once per process (`_LemmaCache`).
    """
    runs, strings = _run_lemmas(), []
    for text in texts:
        known = runs.known(text)
        strings.append(known if known is not None else runs.learn(text))
    return strings


class _RunLemmas:
    """Whitespace-free run of text -> its lemmas joined by spaces, filled from tokenized texts.

    Bounded like `_LemmaCache`: a worker reading endless new words starts over.
    """

    MAX_ENTRIES = 200_000

    def __init__(self, nlp: Language, lemmas: _LemmaCache) -> None:
        self._tokenizer = nlp.tokenizer
        self._lemmas = lemmas
        self._runs: dict[str, str] = {}
        # A special case such as "e. g." would join runs into one token: then runs are not
        # independent and every text goes through the tokenizer.
        rules = getattr(nlp.tokenizer, "rules", None) or {}
        self._enabled = not any(
            any(c.isspace() for c in key) and not key.isspace() for key in rules
        )

    def known(self, text: str) -> str | None:
        """The text's lemma string if every run of it has been seen ("" counts as known)."""
        if not self._enabled:
            return None
        runs, parts = self._runs, list[str]()
        for run in text.split():  # str.split() cuts exactly where str.isspace(), as spaCy
            lemmas = runs.get(run)
            if lemmas is None:
                return None
            parts.append(lemmas)
        return " ".join(parts)

    def learn(self, text: str) -> str:
        """The tokenizer's answer for the text; its runs' lemmas are kept for next time."""
        from spacy.attrs import IDX, LENGTH, ORTH

        tokens = self._tokenizer(text).to_array([ORTH, IDX, LENGTH]).tolist()  # type: ignore[misc]
        words = self._lemmas.words([orth for orth, _, _ in tokens])
        spans = [(start, length) for _, start, length in tokens if not text[start].isspace()]
        if self._enabled and len(spans) == len(words):  # one word per non-space token
            self._keep(text, spans, words)
        return " ".join(words)

    def _keep(self, text: str, spans: list[tuple[int, int]], words: list[str]) -> None:
        """Group the words by the run their token lies in, and keep each run's group; keep
        nothing if a token crosses a run's end (runs were not tokenized on their own)."""
        runs, ends, position = text.split(), [], 0
        for run in runs:
            position = text.index(run, position) + len(run)
            ends.append(position)
        grouped: list[list[str]] = [[] for _ in runs]
        index = 0
        for (start, length), word in zip(spans, words, strict=True):
            while start >= ends[index]:
                index += 1
            if start + length > ends[index]:
                return
            grouped[index].append(word)
        if len(self._runs) + len(runs) > self.MAX_ENTRIES:
            self._runs.clear()
        for text_run, run_words in zip(runs, grouped, strict=True):
            self._runs[text_run] = " ".join(run_words)


@lru_cache(maxsize=1)
def _run_lemmas() -> _RunLemmas:
    return _RunLemmas(text_pipeline(), _lemma_cache())


_UNSEEN = object()


class _LemmaCache:
    """Token hash -> lower-cased lookup lemma (None for whitespace), as spaCy's lemmatizer.

    spaCy's lookup mode gives `table.get(text, text)` (the first entry if a list); its
    `is_space` is `text.isspace()`. Bounded: a worker reading endless new words clears it.
    """

    MAX_ENTRIES = 200_000

    def __init__(self, nlp: Language) -> None:
        self._table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
        self._strings = nlp.vocab.strings
        self._lemmas: dict[int, object] = {}

    def words(self, orths: list[int]) -> list[str]:
        lemmas, words = self._lemmas, list[str]()
        for orth in orths:
            word = lemmas.get(orth, _UNSEEN)
            if word is _UNSEEN:
                word = self._lemma(self._strings[orth])
                if len(lemmas) >= self.MAX_ENTRIES:
                    lemmas.clear()
                lemmas[orth] = word
            if isinstance(word, str):  # None: a whitespace token
                words.append(word)
        return words

    def _lemma(self, text: str) -> str | None:
        if text.isspace():
            return None
        lemma = self._table.get(text, text)
        return (lemma if isinstance(lemma, str) else lemma[0]).lower()


@lru_cache(maxsize=1)
def _lemma_cache() -> _LemmaCache:
    return _LemmaCache(text_pipeline())


def text_views(texts: Sequence[str]) -> pd.DataFrame:
    """The two columns the feature union reads: raw (clipped) text and its lemmas."""
    import pandas as pd

    clipped = [clip(text) for text in texts]
    return pd.DataFrame({RAW: clipped, LEMMAS: lemma_strings(clipped)})


def latin_share(text: str) -> float:
    """Share of letters that are Latin script; low values mean the text is likely not English.

    The model is trained on English; other scripts are still classified but flagged for review.
    """
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for char in letters if char.isascii() or "\u00c0" <= char <= "\u024f") / len(
        letters
    )


def build_features(char_weight: float = 1.0) -> ColumnTransformer:
    """TF-IDF word 1-2 grams over lemmas plus char_wb 2-4 grams over raw text, sublinear tf.

    char_wb 2-4 scores as well as 2-5 on BANKING77 (5-fold CV, within 0.1 point) and float32
    features predict ~15% faster; see docs/models.md.
    """
    return ColumnTransformer(
        [
            (
                "words",
                TfidfVectorizer(
                    ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+", dtype=np.float32
                ),
                LEMMAS,
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32
                ),
                RAW,
            ),
        ],
        transformer_weights={"words": 1.0, "chars": char_weight},
    )
