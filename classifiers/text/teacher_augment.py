"""Cheap text variants for distillation: the teacher labels them, the student learns from them.

A variant of a training text keeps most of its words, so the teacher's probabilities for it
say how the classes shade into each other near that text; that is what the student copies.
Kinds: word dropout, a swap of two neighbouring words, a crop, and two texts joined.
Seeded, so a run can be repeated exactly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

KINDS = ("dropout", "swap", "crop", "join")


def word_dropout(words: list[str], rng: random.Random, rate: float = 0.2) -> list[str]:
    kept = [word for word in words if rng.random() >= rate]
    return kept or [rng.choice(words)]


def neighbour_swap(words: list[str], rng: random.Random) -> list[str]:
    if len(words) < 2:
        return list(words)
    i = rng.randrange(len(words) - 1)
    return words[:i] + [words[i + 1], words[i]] + words[i + 2 :]


def crop(words: list[str], rng: random.Random, keep: tuple[float, float] = (0.5, 0.9)) -> list[str]:
    size = max(1, round(len(words) * rng.uniform(*keep)))
    start = rng.randrange(len(words) - size + 1)
    return words[start : start + size]


def augment(texts: Sequence[str], per_text: int, seed: int = 0) -> list[str]:
    """per_text variants of every text, kinds taken in turn, in input order."""
    rng = random.Random(seed)
    out: list[str] = []
    for text in texts:
        words = text.split() or [text]
        for k in range(per_text):
            kind = KINDS[k % len(KINDS)]
            if kind == "dropout":
                variant = word_dropout(words, rng)
            elif kind == "swap":
                variant = neighbour_swap(word_dropout(words, rng, 0.1), rng)
            elif kind == "crop":
                variant = crop(words, rng)
            else:
                other = rng.choice(texts).split()
                variant = crop(words, rng, (0.6, 1.0)) + crop(other, rng, (0.2, 0.5))
            out.append(" ".join(variant))
    return out
