"""Remove personal data from customer text before it is stored or shown.

spaCy's blank English tokenizer finds emails and URLs (``like_email``, ``like_url``); regexes
over the raw text find what tokenisation splits apart: phone numbers, grouped card numbers and
@handles. Ordinary numbers ("2 days", "$40", "order 3 of 5", 2020-01-05, 1999) are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
ACCOUNT = "[ACCOUNT]"
URL = "[URL]"
HANDLE = "[HANDLE]"

# A run of 13-19 digits, optionally grouped by single spaces or dashes (card-like).
_DIGIT_GROUPS = re.compile(r"(?<![\w@.])\d(?:[ -]?\d){7,22}(?![\w@]|\.\d)")
# Phone numbers: optional +country, optional (area), then 2-3 groups of digits.
_PHONE = re.compile(
    r"(?<![\w@])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)[ .-]?)?"
    r"\d{2,5}(?:[ .-]\d{2,5}){1,3}(?![\w@]|\.\d)"
)
# IBANs: two letters, two check digits, then 11-30 letters/digits, optionally in groups of 4.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# Local numbers such as 555-0132: three digits, dash or dot, four digits.
_LOCAL_PHONE = re.compile(r"^\d{3}[-.]\d{4}$")
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z_][A-Za-z0-9_]{1,30}\b")
_URL_BARE = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_MONEY_OR_TIME = re.compile(r"^\d{1,2}[:.]\d{2}$")


@lru_cache(maxsize=1)
def _nlp() -> Language:
    """The blank English pipeline, built on first use (never at import)."""
    import spacy

    return spacy.blank("en")


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _classify_digits(span: str) -> str | None:
    """Placeholder for a run of digits, or None when it is an ordinary number or a date."""
    if _DATE.match(span) or _MONEY_OR_TIME.match(span):
        return None
    digits = re.sub(r"\D", "", span)
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD
    groups = [group for group in re.split(r"[ .()+-]+", span) if group]
    if len(groups) > 1 and all(_YEAR.match(group) for group in groups):
        return None  # "2020 2021 2022" is a list of years
    grouped = len(groups) > 1
    if grouped and 9 <= len(digits) <= 15 and _looks_like_phone(span, digits, groups):
        return PHONE
    if _LOCAL_PHONE.match(span):
        return PHONE
    if len(digits) >= 8:
        return ACCOUNT
    return None


def _looks_like_phone(span: str, digits: str, groups: list[str]) -> bool:
    return span.startswith(("+", "(")) or (len(groups) in (2, 3, 4) and 10 <= len(digits) <= 12)


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping (start, end, label) spans; earlier, longer spans win."""
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    pieces: list[str] = []
    cursor = 0
    for start, end, label in spans:
        if start < cursor:
            continue
        pieces.append(text[cursor:start])
        pieces.append(label)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _token_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    # The tokenizer alone has no length limit (make_doc stops at nlp.max_length, 1M chars).
    for token in _nlp().tokenizer(text):
        end = token.idx + len(token.text)
        if token.like_email:
            spans.append((token.idx, end, EMAIL))
        elif token.like_url and ("/" in token.text or token.text.lower().startswith("www")):
            spans.append((token.idx, end, URL))
        elif token.like_url and "." in token.text and not token.like_num:
            spans.append((token.idx, end, URL))
        elif token.is_digit and len(token.text) >= 8:
            label = _classify_digits(token.text)
            if label:
                spans.append((token.idx, end, label))
    return spans


def _regex_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for match in _URL_BARE.finditer(text):
        spans.append((match.start(), match.end(), URL))
    for match in _IBAN.finditer(text):
        if sum(char.isdigit() for char in match.group()) >= 8:
            spans.append((match.start(), match.end(), ACCOUNT))
    for match in _HANDLE.finditer(text):
        spans.append((match.start(), match.end(), HANDLE))
    for pattern in (_DIGIT_GROUPS, _PHONE):
        for match in pattern.finditer(text):
            label = _classify_digits(match.group())
            if label:
                spans.append((match.start(), match.end(), label))
    return spans


def redact_text(text: str) -> str:
    """The text with emails, phones, cards, accounts/IBANs, URLs and @handles as placeholders."""
    if not text:
        return text
    spans = _regex_spans(text) + _token_spans(text)
    return _replace_spans(text, spans)
