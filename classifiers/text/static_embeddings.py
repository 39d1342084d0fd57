"""Static sentence embeddings: a subword tokenizer plus one vector per token, averaged.

The vectors are distilled once from a sentence transformer (scripts/distill_static_embeddings.py,
which needs the `embeddings-train` extra and torch); reading them needs only numpy and the
`tokenizers` package (the `embeddings` extra). Files: `tokenizer.json` and `vectors.npz`
(no pickle). Averaging precomputed vectors is what keeps this route fast on one CPU thread.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifiers.text.token_cache import ChunkedTokenizer

if TYPE_CHECKING:
    from tokenizers import Tokenizer

TOKENIZER_FILE = "tokenizer.json"
VECTORS_FILE = "vectors.npz"


class EmbeddingFileError(ValueError):
    """An embeddings directory with missing or inconsistent files."""


def _unknown_token_id(tokenizer: Tokenizer) -> int | None:
    """Id of the tokenizer's unknown token; those ids carry no meaning and are skipped."""
    model = json.loads(tokenizer.to_str())["model"]
    token = model.get("unk_token")
    if token is not None:
        return tokenizer.token_to_id(token)
    unk_id = model.get("unk_id")
    return int(unk_id) if unk_id is not None else None


class StaticEmbedder:
    """Turns texts into L2-normalised averages of their tokens' vectors."""

    def __init__(self, tokenizer: Tokenizer, vectors: np.ndarray) -> None:
        if vectors.ndim != 2 or vectors.shape[0] < tokenizer.get_vocab_size():
            raise EmbeddingFileError(
                f"vectors of shape {vectors.shape} do not cover a vocabulary of "
                f"{tokenizer.get_vocab_size()} tokens"
            )
        self.tokenizer = tokenizer
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.unknown_id = _unknown_token_id(tokenizer)
        self._chunked = ChunkedTokenizer.for_tokenizer(tokenizer)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        if self._chunked is not None:
            ids = self._chunked.ids(texts)
        else:
            encodings = self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
            ids = [encoding.ids for encoding in encodings]
        if self.unknown_id is None:
            return ids
        return [[i for i in row if i != self.unknown_id] for row in ids]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text; a text with no known tokens gets a zero row."""
        return self.embed_token_ids(self.token_ids(texts))

    def embed_token_ids(self, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
        """As embed, from token_ids(texts) already made (tokenizing is most of the cost)."""
        out = np.zeros((len(token_ids), self.dim), dtype=np.float32)
        for row, ids in enumerate(token_ids):
            if ids:
                out[row] = self.vectors[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(directory / TOKENIZER_FILE))
        np.savez(directory / VECTORS_FILE, vectors=self.vectors)
        return directory

    @classmethod
    def load(cls, directory: Path) -> StaticEmbedder:
        """The embedder saved in directory (no pickle: allow_pickle=False)."""
        from tokenizers import Tokenizer

        for name in (TOKENIZER_FILE, VECTORS_FILE):
            if not (directory / name).is_file():
                raise EmbeddingFileError(f"{directory}: missing {name}")
        with np.load(directory / VECTORS_FILE, allow_pickle=False) as stored:
            if "vectors" not in stored:
                raise EmbeddingFileError(f"{directory / VECTORS_FILE}: no 'vectors' array")
            vectors = stored["vectors"]
        return cls(Tokenizer.from_file(str(directory / TOKENIZER_FILE)), vectors)
