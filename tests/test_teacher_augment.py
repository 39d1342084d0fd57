"""Text variants for distillation: seeded, one list entry per (text, variant), never empty,
and made of the text's own words (joins borrow a few words from another text)."""

from __future__ import annotations

from classifiers.text.teacher_augment import augment, crop, neighbour_swap, word_dropout

TEXTS = ["my card has not arrived yet", "how do I top up by bank transfer", "refund"]


def test_variants_are_seeded_ordered_and_never_empty() -> None:
    variants = augment(TEXTS, per_text=4, seed=7)
    assert len(variants) == 12 and all(v.strip() for v in variants)
    assert variants == augment(TEXTS, per_text=4, seed=7)
    assert variants != augment(TEXTS, per_text=4, seed=8)
    first = set(TEXTS[0].split())
    assert all(set(v.split()) <= first for v in variants[:3])  # dropout, swap, crop
    all_words = {w for t in TEXTS for w in t.split()}
    assert set(variants[3].split()) <= all_words  # a join borrows from the other texts


def test_each_kind_keeps_the_words_it_promises() -> None:
    import random

    words = "one two three four five".split()
    rng = random.Random(0)
    assert word_dropout(["solo"], rng, rate=1.0) == ["solo"]  # never empties a text
    swapped = neighbour_swap(words, rng)
    assert sorted(swapped) == sorted(words) and swapped != words
    cropped = crop(words, rng)
    assert 1 <= len(cropped) < len(words)
    assert " ".join(cropped) in " ".join(words)  # a contiguous piece
