"""A small BANKING77 slice for the routes that fine-tune an encoder: five intents, mapped.

Five intents that land in five different taxonomy categories, 24 training and 8 held-out
texts each, so a couple of epochs on a CPU can show the route learned something.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from classifiers.presets import map_labels

BANKING77 = Path(__file__).parents[2] / "winback" / "sample_data" / "banking77" / "train.csv"
INTENTS = ("card_arrival", "exchange_rate", "lost_or_stolen_card", "top_up_failed", "age_limit")
PER_INTENT, HELD_OUT = 24, 8


def banking77_slice() -> tuple[list[str], list[str], list[str], list[str]]:
    """Training texts and categories, then held-out texts and categories."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING77.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"])
    train_x, train_y, test_x, test_y = [], [], [], []
    for intent in INTENTS:
        texts = by_intent[intent]
        train_x += texts[:PER_INTENT]
        train_y += [intent] * PER_INTENT
        test_x += texts[-HELD_OUT:]
        test_y += [intent] * HELD_OUT
    return train_x, map_labels(train_y, "banking77"), test_x, map_labels(test_y, "banking77")
