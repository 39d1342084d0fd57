"""Complaint, ticket and social texts from the shipped public data, on synthetic recent dates.

The spike is injected on purpose: extra BANKING77 "card has not arrived" queries dated in
the last SPIKE_DAYS days, so the listening view has something to alert on.
"""

from __future__ import annotations

from datetime import date

from winback.demo.sources import SAMPLE_DATA, Row, read_csv_rows, synthetic_moment

CFPB = SAMPLE_DATA / "cfpb" / "complaints_2015_2020.csv"
BANKING77 = SAMPLE_DATA / "banking77" / "train.csv"
BITEXT = SAMPLE_DATA / "bitext" / "Bitext_Sample_Customer_Service_Training_Dataset.csv"
SPREAD_DAYS = 90
BANKING77_EVERY = 5  # every 5th query: about 2,000 tickets
BITEXT_EVERY = 8  # every 8th utterance: about 800 posts
SPIKE_LABEL = "card_arrival"
SPIKE_ITEMS = 60
SPIKE_DAYS = 3


def _item(external_id: str, source: str, channel: str, text: str, today: date) -> Row:
    return {
        "external_id": external_id, "source": source, "channel": channel, "text": text,
        "occurred_at": synthetic_moment(external_id, today, SPREAD_DAYS),
    }  # fmt: skip


def cfpb_items(today: date, every: int = 1) -> list[Row]:
    column = "Consumer complaint narrative"
    return [
        _item(f"cfpb-{values['Complaint ID']}", "complaint", "cfpb", values[column], today)
        for row, values in read_csv_rows(CFPB, ("Complaint ID", column))
        if row % every == 0 and values[column].strip()
    ]


def banking77_items(
    today: date, every: int = BANKING77_EVERY, spike: int = SPIKE_ITEMS
) -> list[Row]:
    """Every `every`th query, plus `spike` card_arrival queries dated in the last days."""
    items: list[Row] = []
    injected = 0
    for row, values in read_csv_rows(BANKING77, ("text", "category")):
        external_id = f"banking77-row-{row}"
        if row % every == 0:
            items.append(_item(external_id, "ticket", "chat", values["text"], today))
        elif values["category"] == SPIKE_LABEL and injected < spike:
            injected += 1
            item = _item(external_id, "ticket", "chat", values["text"], today)
            item["occurred_at"] = synthetic_moment(external_id, today, SPIKE_DAYS)
            items.append(item)
    return items


def bitext_items(today: date, every: int = BITEXT_EVERY) -> list[Row]:
    return [
        _item(f"bitext-train-row-{row}", "social", "social", values["utterance"], today)
        for row, values in read_csv_rows(BITEXT, ("utterance",))
        if row % every == 0
    ]


def demo_feedback(today: date, scale: int = 1) -> list[Row]:
    """All demo feedback; `scale` > 1 keeps only every scale-th base row (for quick tests)."""
    return (
        cfpb_items(today, every=scale)
        + banking77_items(today, every=BANKING77_EVERY * scale, spike=SPIKE_ITEMS)
        + bitext_items(today, every=BITEXT_EVERY * scale)
    )
