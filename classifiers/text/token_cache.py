"""Subword ids of texts, cached per space-separated chunk, for BERT-style tokenizers.

The static embedder's WordPiece tokenizer is the largest cost of the distilled route's
prediction after the TF-IDF features. A BERT normalizer and pre-tokenizer never join
characters across an ASCII space, so a text's ids are its space-separated chunks' ids in
order, cut at the tokenizer's truncation length: each distinct chunk is encoded once per
process. Tokenizers of other kinds (byte-level BPE keeps the space inside the next token,
padding, left truncation, added tokens with spaces or stripping) get no cache and are run
as they are (`ChunkedTokenizer.for_tokenizer` returns None). Tested against the plain call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAX_CACHED_CHUNKS = 200_000  # per tokenizer (tens of MB at most); then it starts over
SPLIT_SAFE_NORMALIZERS = {None, "BertNormalizer", "Lowercase"}
SPLIT_SAFE_PRE_TOKENIZERS = {"BertPreTokenizer", "Whitespace", "WhitespaceSplit"}


class ChunkedTokenizer:
    """tokenizer.encode_batch_fast(texts, add_special_tokens=False) ids, chunk by chunk."""

    def __init__(self, tokenizer: Tokenizer, max_length: int | None) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self._chunk_ids: dict[str, list[int]] = {}

    @classmethod
    def for_tokenizer(cls, tokenizer: Tokenizer) -> ChunkedTokenizer | None:
        """A cache for tokenizer, or None when chunking could change its ids."""
        config = json.loads(tokenizer.to_str())
        if not _split_safe(config, tokenizer.padding):
            return None
        truncation = tokenizer.truncation
        if truncation is not None and truncation.get("direction", "right") != "right":
            return None
        return cls(tokenizer, None if truncation is None else int(truncation["max_length"]))

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        split = [text.split(" ") for text in texts]
        cache = self._chunk_ids
        if len(cache) >= MAX_CACHED_CHUNKS:
            cache.clear()
        known: dict[str, list[int]] = {}
        unseen: list[str] = []
        for chunks in split:
            for chunk in chunks:
                if chunk and chunk not in known:
                    found = cache.get(chunk)
                    if found is None:
                        unseen.append(chunk)
                        known[chunk] = []  # filled below
                    else:
                        known[chunk] = found
        if unseen:
            encoded = self.tokenizer.encode_batch_fast(unseen, add_special_tokens=False)
            for chunk, encoding in zip(unseen, encoded, strict=True):
                known[chunk] = cache[chunk] = encoding.ids
        out = []
        for chunks in split:
            ids: list[int] = []
            for chunk in chunks:
                if chunk:
                    ids.extend(known[chunk])
            if self.max_length is not None and len(ids) > self.max_length:
                del ids[self.max_length :]
            out.append(ids)
        return out


def _split_safe(config: dict[str, Any], padding: dict[str, Any] | None) -> bool:
    normalizer = config.get("normalizer")
    pre_tokenizer = config.get("pre_tokenizer")
    if (normalizer or {}).get("type") not in SPLIT_SAFE_NORMALIZERS:
        return False
    if (pre_tokenizer or {}).get("type") not in SPLIT_SAFE_PRE_TOKENIZERS:
        return False
    if padding is not None and padding.get("length") != 0:
        return False  # padded ids would depend on the batch or a fixed length
    return all(
        " " not in token["content"] and not token["lstrip"] and not token["rstrip"]
        for token in config.get("added_tokens") or []
    )
