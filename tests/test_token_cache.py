"""ChunkedTokenizer must give exactly the ids the tokenizer gives, or decline to cache."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from classifiers.text import token_cache
from classifiers.text.data import read_labelled_csv
from classifiers.text.static_embeddings import StaticEmbedder
from classifiers.text.token_cache import ChunkedTokenizer
from tests.support.awkward_texts import AWKWARD_TEXTS, BANKING77_TRAIN


def bert_style_tokenizer(texts: list[str], max_length: int | None) -> Tokenizer:
    """WordPiece over common words and single characters, BERT normalizer and pre-tokenizer."""
    split = pre_tokenizers.BertPreTokenizer()
    words = Counter(w for text in texts for w, _ in split.pre_tokenize_str(text.lower()))
    chars = sorted({char for word in words for char in word})
    vocab_words = ["[PAD]", "[UNK]", *chars, *(f"##{c}" for c in chars)]
    vocab_words += [w for w, _ in words.most_common(400) if w not in vocab_words]
    vocab_words += [f"##{w}" for w in ("ing", "ed", "s", "er", "ly") if f"##{w}" not in vocab_words]
    tokenizer = Tokenizer(
        models.WordPiece({w: i for i, w in enumerate(vocab_words)}, unk_token="[UNK]")
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = split
    if max_length is not None:
        tokenizer.enable_truncation(max_length)
    return tokenizer


@pytest.fixture(scope="module")
def texts() -> list[str]:
    sample = read_labelled_csv(BANKING77_TRAIN, "text", "category").texts[:3000]
    odd = ["word " * 40, "x" * 300 + " y", "ΟΔΟΣ ΟΔΟΣΑ σΣ", "[UNK] a[PAD]b \x1c ab\x1ccd  "]
    return sample + AWKWARD_TEXTS + odd


def plain_ids(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False)]


@pytest.mark.parametrize("max_length", [None, 24])
def test_chunked_ids_equal_the_tokenizers_own(texts: list[str], max_length: int | None) -> None:
    tokenizer = bert_style_tokenizer(texts[:2000], max_length)
    chunked = ChunkedTokenizer.for_tokenizer(tokenizer)
    assert chunked is not None
    expected = plain_ids(tokenizer, texts)
    assert any(1 in ids for ids in expected)  # unknown pieces occur, so ids are not trivial
    assert chunked.ids(texts) == expected
    assert chunked.ids(texts) == expected  # now from the cache


def test_a_full_cache_starts_over_with_the_same_ids(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token_cache, "MAX_CACHED_CHUNKS", 3)
    tokenizer = bert_style_tokenizer(texts, 32)
    chunked = ChunkedTokenizer.for_tokenizer(tokenizer)
    assert chunked is not None
    for start in range(0, 200, 20):
        batch = texts[start : start + 20]
        assert chunked.ids(batch) == plain_ids(tokenizer, batch)


def test_tokenizers_that_chunking_could_change_are_not_cached(texts: list[str]) -> None:
    byte_level = Tokenizer(models.BPE())
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel()
    assert ChunkedTokenizer.for_tokenizer(byte_level) is None  # keeps the space in the next token
    padded = bert_style_tokenizer(texts[:200], None)
    padded.enable_padding(length=16)
    assert ChunkedTokenizer.for_tokenizer(padded) is None
    padded.enable_padding()  # to the longest text of each batch: ids depend on the batch
    assert ChunkedTokenizer.for_tokenizer(padded) is None
    left = bert_style_tokenizer(texts[:200], None)
    left.enable_truncation(8, direction="left")
    assert ChunkedTokenizer.for_tokenizer(left) is None


def test_the_embedder_uses_the_cache_and_still_drops_unknown_tokens(texts: list[str]) -> None:
    tokenizer = bert_style_tokenizer(texts[:500], 64)
    vectors = np.ones((tokenizer.get_vocab_size(), 4), np.float32)
    embedder = StaticEmbedder(tokenizer, vectors)
    assert embedder._chunked is not None
    expected = [[i for i in ids if i != 1] for ids in plain_ids(tokenizer, texts)]
    assert embedder.token_ids(texts) == expected
