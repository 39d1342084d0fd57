"""PII redaction: each kind of personal data becomes its placeholder; ordinary numbers stay."""

from __future__ import annotations

import pytest

from classifiers.redaction import luhn_valid, redact_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email me at john.doe@example.com please", "Email me at [EMAIL] please"),
        ("reach me: A.B+tag@mail.co.uk.", "reach me: [EMAIL]."),
        ("Call +1 415-555-0132 today", "Call [PHONE] today"),
        ("Call (415) 555-0132 today", "Call [PHONE] today"),
        ("ring 07700 900123", "ring [PHONE]"),
        ("ring 415.555.0132", "ring [PHONE]"),
        ("card 4111 1111 1111 1111 charged", "card [CARD] charged"),
        ("card 4111-1111-1111-1111 charged", "card [CARD] charged"),
        ("card 4111111111111111 charged", "card [CARD] charged"),
        ("account 12345678901 frozen", "account [ACCOUNT] frozen"),
        ("acct 1234 5678 9012 3456 (not a valid card)", "acct [ACCOUNT] (not a valid card)"),
        ("iban GB29 NWBK 6016 1331 9268 19 please", "iban [ACCOUNT] please"),
        ("iban DE89370400440532013000.", "iban [ACCOUNT]."),
        ("call 555-0132 after 5", "call [PHONE] after 5"),
        ("see https://example.com/x?y=1 now", "see [URL] now"),
        ("go to www.bank.co.uk/help", "go to [URL]"),
        ("visit example.com for help", "visit [URL] for help"),
        ("thanks @jane_doe!", "thanks [HANDLE]!"),
        ("@BankSupport why", "[HANDLE] why"),
    ],
)
def test_each_kind_of_pii_becomes_its_placeholder(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It took 2 days to arrive",
        "I was charged $40 twice",
        "this is order 3 of 5",
        "on 2020-01-05 my transfer failed",
        "paid on 05/01/2020 at 10:30",
        "back in 1999 and again in 2021",
        "ref 2020 2021 2022",
        "I paid 150.00, 1,000 pounds, 3.5% fee",
        "version 1.2.3, e.g. the app",
        "top up of 1000 euros",
        "from 2019-2020 on flight BA2490 in room 12-34",
        "THE CARD IS BLOCKED AND I AM ANGRY",
        "",
    ],
)
def test_ordinary_numbers_and_text_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_mixed_text_redacts_every_kind_once() -> None:
    text = "I'm @sam, mail sam@x.org or call +44 20 7946 0958; card 5555555555554444, 2 days ago"
    assert redact_text(text) == (
        "I'm [HANDLE], mail [EMAIL] or call [PHONE]; card [CARD], 2 days ago"
    )


def test_luhn_checksum() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_megabyte_text_is_redacted_whole() -> None:
    text = "mail a@b.com or call +1 415-555-0132 today. " * 30_000  # ~1.3 MB
    redacted = redact_text(text)
    assert redacted == "mail [EMAIL] or call [PHONE] today. " * 30_000
