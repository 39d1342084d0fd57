"""Each kind of bad input is rejected with a message naming file, row, line, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.ingest import IngestError, RowError, ingest_file

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CUSTOMER_HEADER = "external_id,name,segment,value_per_year,status,start_date\n"
EVENT_HEADER = "customer_external_id,occurred_at,kind,quantity,amount\n"


def rejected(
    sessions: sessionmaker[Session], path: Path, kind: str, content: str | bytes
) -> list[RowError]:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with pytest.raises(IngestError) as caught:
        ingest_file(sessions, path, kind)
    assert caught.value.total == len(caught.value.errors) or caught.value.total > 50
    return caught.value.errors


@pytest.fixture
def with_customers(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    ingest_file(sqlite_sessions, FIXTURES / "customers.csv", "customers")
    return sqlite_sessions


def test_missing_required_column(sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    [error] = rejected(sqlite_sessions, path, "customers", "external_id,segment\nC-9,smb\n")
    assert (error.source, error.row, error.line, error.field) == (str(path), None, 1, "name")
    assert error.reason == "missing required column"


def test_bad_date(sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    content = CUSTOMER_HEADER + "C-1,A,smb,10,active,2024-01-02\nC-2,B,smb,10,active,2024-13-01\n"
    [error] = rejected(sqlite_sessions, tmp_path / "c.csv", "customers", content)
    assert (error.row, error.line, error.field) == (2, 3, "start_date")
    assert error.reason == "'2024-13-01' is not a date; use YYYY-MM-DD"
    assert str(error) == (
        f"{tmp_path / 'c.csv'}, row 2, line 3, field 'start_date': "
        "'2024-13-01' is not a date; use YYYY-MM-DD"
    )


def test_negative_value(sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    content = CUSTOMER_HEADER + "C-1,A,smb,-120,active,\n"
    [error] = rejected(sqlite_sessions, tmp_path / "c.csv", "customers", content)
    assert (error.row, error.field, error.reason) == (
        1,
        "value_per_year",
        "must be 0 or more, got -120",
    )


def test_non_numeric_amount(with_customers: sessionmaker[Session], tmp_path: Path) -> None:
    content = EVENT_HEADER + "C-001,2024-01-01T00:00:00Z,purchase,1,12.5O\n"
    [error] = rejected(with_customers, tmp_path / "e.csv", "events", content)
    assert (error.row, error.field, error.reason) == (1, "amount", "'12.5O' is not a number")


def test_unknown_customer_in_events(with_customers: sessionmaker[Session], tmp_path: Path) -> None:
    content = EVENT_HEADER + "C-001,2024-01-01,login,,\nC-404,2024-01-02,login,,\n"
    [error] = rejected(with_customers, tmp_path / "e.csv", "events", content)
    assert (error.row, error.line, error.field) == (2, 3, "customer_external_id")
    assert error.reason == "unknown customer 'C-404': not in the store (import customers first)"


def test_unknown_customer_in_feedback(
    with_customers: sessionmaker[Session], tmp_path: Path
) -> None:
    content = (
        '{"source": "survey", "text": "slow", "occurred_at": "2024-01-01", '
        '"customer_external_id": "C-999"}\n'
    )
    [error] = rejected(with_customers, tmp_path / "f.jsonl", "feedback", content)
    assert (error.row, error.line, error.field) == (1, 1, "customer_external_id")
    assert "unknown customer 'C-999'" in error.reason


def test_duplicate_ids_within_one_file(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    content = CUSTOMER_HEADER + "C-1,A,smb,1,active,\nC-2,B,smb,1,active,\nC-1,A2,smb,1,active,\n"
    [error] = rejected(sqlite_sessions, tmp_path / "c.csv", "customers", content)
    assert (error.row, error.line, error.field) == (3, 4, "external_id")
    assert error.reason == "duplicate external_id 'C-1': row 1 has it too"


def test_identical_events_without_ids_are_duplicates(
    with_customers: sessionmaker[Session], tmp_path: Path
) -> None:
    content = EVENT_HEADER + "C-001,2024-01-01,login,,\nC-001,2024-01-01T00:00:00Z,login,0,0\n"
    [error] = rejected(with_customers, tmp_path / "e.csv", "events", content)
    assert (error.row, error.field) == (2, "event_id")
    assert error.reason.startswith("duplicate of row 1: same content and no event_id")


def test_wrong_encoding_gives_the_byte_offset(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    content = (CUSTOMER_HEADER + "C-1,Caf\u00e9 Blue,smb,1,active,\n").encode("latin-1")
    [error] = rejected(sqlite_sessions, tmp_path / "c.csv", "customers", content)
    offset = content.index(b"\xe9")
    assert (error.row, error.line) == (None, 2)
    assert error.reason == (
        f"not UTF-8: byte 0xe9 at byte offset {offset} cannot be decoded; save the file as UTF-8"
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", "", "no data rows: the input is empty"),
        ("header.csv", CUSTOMER_HEADER, "no data rows: only a header"),
        ("empty.jsonl", "\n\n", "no data rows: the input is empty"),
    ],
)
def test_empty_file(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path, name: str, content: str, reason: str
) -> None:
    [error] = rejected(sqlite_sessions, tmp_path / name, "customers", content)
    assert (error.row, error.field, error.reason) == (None, None, reason)


def test_huge_text_and_long_name(with_customers: sessionmaker[Session], tmp_path: Path) -> None:
    huge = "too slow " * 12_000  # 108,000 bytes
    rows = f'source,text,occurred_at\nsurvey,"{huge}",2024-01-01\n'
    [error] = rejected(with_customers, tmp_path / "f.csv", "feedback", rows)
    assert (error.row, error.field) == (1, "text")
    assert error.reason == "is 108000 bytes; at most 102400 (100 kB) allowed"

    [error] = rejected(
        with_customers, tmp_path / "c.csv", "customers", CUSTOMER_HEADER + f"C-1,{'N' * 300},,,,\n"
    )
    assert (error.field, error.reason) == ("name", "is 300 characters long; at most 256 allowed")


def test_jsonl_syntax_error_names_the_line(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    content = '{"external_id": "C-1", "name": "A"}\n\n{"external_id": "C-2", "name": "B",}\n'
    [error] = rejected(sqlite_sessions, tmp_path / "c.jsonl", "customers", content)
    assert (error.row, error.line, error.field) == (2, 3, None)
    assert error.reason.startswith(
        "invalid JSON: Expecting property name enclosed in double quotes"
    )


@pytest.mark.parametrize(
    ("kind", "content", "field", "allowed"),
    [
        (
            "customers",
            '{"external_id": "C-1", "name": "A", "status": "churned"}',
            "status",
            "active, cancelled, non_renewed, downgraded, lost",
        ),
        (
            "events",
            '{"customer_external_id": "C-001", "occurred_at": "2024-01-01", "kind": "buy"}',
            "kind",
            "purchase, usage, login, payment",
        ),
        (
            "feedback",
            '{"source": "email", "text": "hi", "occurred_at": "2024-01-01"}',
            "source",
            "complaint, social, survey, ticket, call_note, rescue",
        ),
        (
            "team",
            '{"handle": "x", "name": "X", "team": "n", "role": "boss"}',
            "role",
            "member, lead, leader, ops",
        ),
    ],
)
def test_unknown_enum_value_lists_the_allowed_ones(
    with_customers: sessionmaker[Session],
    tmp_path: Path,
    kind: str,
    content: str,
    field: str,
    allowed: str,
) -> None:
    [error] = rejected(with_customers, tmp_path / f"{kind}.jsonl", kind, content + "\n")
    assert error.field == field and "is not one of: " + allowed in error.reason


def test_future_dates_beyond_tolerance(
    with_customers: sessionmaker[Session], tmp_path: Path
) -> None:
    content = EVENT_HEADER + "C-001,2999-01-01T00:00:00Z,login,,\n"
    [error] = rejected(with_customers, tmp_path / "e.csv", "events", content)
    assert error.field == "occurred_at"
    assert error.reason.startswith("2999-01-01T00:00:00Z is in the future (beyond ")
    # A renewal date is meant to be in the future; a start date is not.
    ok = CUSTOMER_HEADER.replace("start_date", "renewal_date") + "C-9,A,smb,1,active,2999-01-01\n"
    (tmp_path / "ok.csv").write_text(ok)
    assert ingest_file(with_customers, tmp_path / "ok.csv", "customers").inserted == 1
    [error] = rejected(
        with_customers, tmp_path / "c.csv", "customers", CUSTOMER_HEADER + "C-9,A,,,,2999-01-01\n"
    )
    assert error.field == "start_date" and "is in the future" in error.reason


def test_unknown_column_and_unknown_lead(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    [error] = rejected(
        sqlite_sessions, tmp_path / "t.csv", "team", "handle,shoe,name,team,hat\na,42,A,n,L\n"
    )
    assert (error.field, error.line) == ("shoe, hat", 1)
    assert error.reason.startswith("unknown column(s) for team; allowed: handle, name, team, role")
    [error] = rejected(
        sqlite_sessions, tmp_path / "t.csv", "team", "handle,name,team,lead_handle\na,A,n,zed\n"
    )
    assert (error.row, error.field) == (1, "lead_handle")
    assert error.reason == "unknown lead 'zed': not a team member in the store or this input"


def test_many_errors_report_the_first_fifty_and_the_total(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CUSTOMER_HEADER + "".join(f"C-{i},A,smb,x{i},active,\n" for i in range(120)))
    with pytest.raises(IngestError) as caught:
        ingest_file(sqlite_sessions, path, "customers")
    assert caught.value.total == 120 and len(caught.value.errors) == 50
    assert caught.value.errors[-1].row == 50
    assert str(caught.value).endswith("... and 70 more")


def test_wrong_number_of_csv_fields(sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    [error] = rejected(
        sqlite_sessions, tmp_path / "c.csv", "customers", CUSTOMER_HEADER + "C-1,A,smb\n"
    )
    assert (error.row, error.line, error.reason) == (1, 2, "expected 6 fields, got 3")


def test_fast_event_path_agrees_with_the_careful_one() -> None:
    """Whatever the fast path accepts, the field-by-field path accepts identically."""
    from datetime import UTC, datetime

    from store.ingest.schemas.base import RowInvalid
    from store.ingest.schemas.events import EventRows

    rows = EventRows.__new__(EventRows)
    rows.customer_ids, rows.latest = {"C-1": 1, "7": 2}, datetime(2030, 1, 1, tzinfo=UTC)
    base = {"customer_external_id": "C-1", "occurred_at": "2024-01-01T10:00:00Z", "kind": "login"}
    variants: list[dict[str, object]] = [
        {},
        {"quantity": "2", "amount": "9.5"},
        {"quantity": 2, "amount": 9.5},
        {"amount": ""},
        {"amount": " 3 "},
        {"amount": "nan"},
        {"amount": "inf"},
        {"amount": "-1"},
        {"amount": True},
        {"quantity": "-0.0"},
        {"occurred_at": "2024-01-01"},
        {"occurred_at": "2024-01-01T10:00+02:00"},
        {"occurred_at": " 2024-01-01"},
        {"occurred_at": "2031-01-01"},
        {"kind": "Login"},
        {"kind": "refund"},
        {"event_id": "E-1"},
        {"event_id": " E-1 "},
        {"event_id": 17},
        {"event_id": 0},
        {"event_id": False},
        {"event_id": "x" * 65},
        {"customer_external_id": " C-1"},
        {"customer_external_id": 7},
        {"customer_external_id": "C-2"},
        {"occurred_at": 20240101},
    ]
    fast_taken = 0
    for variant in variants:
        values = {**base, **variant}
        try:
            careful: object = rows.checked(values)
        except RowInvalid as invalid:
            careful = invalid.problems
        try:
            fast = rows.fast(values)
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
        fast_taken += 1
        assert fast == careful, variant
    assert fast_taken >= 8  # the fast path is really taken for canonical rows
