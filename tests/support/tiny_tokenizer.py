"""A word-level tokenizer built from a handful of texts: static-embedding tests need no model."""

from __future__ import annotations

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers


def word_tokenizer(texts: list[str]) -> Tokenizer:
    """The texts' lower-cased words as the vocabulary; anything else is [UNK]."""
    split = pre_tokenizers.Whitespace()
    words = sorted({word for text in texts for word, _ in split.pre_tokenize_str(text.lower())})
    vocab = {"[UNK]": 0} | {word: i for i, word in enumerate(words, start=1)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = split
    return tokenizer
