"""Team members: who receives rescue tasks, their lead for escalations, their daily capacity."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.ingest import fields as f
from store.ingest.schemas.base import (
    CrossRowProblem,
    FieldReader,
    IngestOptions,
    KindSchema,
    Record,
)
from store.models import ROLES, TeamMember

_C = TeamMember.__table__.c


def handle(name: str, value: object, max_chars: int) -> str:
    """A handle without the leading @ people often type."""
    return f.text(name, value, max_chars).lstrip("@")


class TeamRows:
    """Checks lead handles and Slack ids against the store and the rest of the input."""

    def __init__(self, session: Session, options: IngestOptions) -> None:
        rows = session.execute(select(TeamMember.handle, TeamMember.slack_user_id)).all()
        self.store_handles = {h for h, _ in rows}
        self.store_slack_ids = {s: h for h, s in rows if s}
        self.file_handles: set[str] = set()
        self.file_slack_ids: dict[str, int] = {}
        self.leads: list[tuple[int, int | None, str, str]] = []

    def validate(self, values: Mapping[str, object], row: int, line: int | None) -> Record:
        r = FieldReader(values)
        member = r.get("handle", handle, f.column_length(_C.handle), required=True)
        record: Record = {
            "handle": member,
            "name": r.get("name", f.text, f.column_length(_C.name), required=True),
            "team": r.get("team", f.text, f.column_length(_C.team), required=True),
        }
        if "role" in values:
            record["role"] = r.get("role", f.choice, ROLES, default="member")
        if "slack_user_id" in values:
            record["slack_user_id"] = r.get(
                "slack_user_id", f.text, f.column_length(_C.slack_user_id)
            )
        if "lead_handle" in values:
            lead = r.get("lead_handle", handle, f.column_length(_C.lead_handle))
            if lead is not None and lead == member:
                r.fail("lead_handle", f"'{lead}' cannot be their own lead")
            record["lead_handle"] = lead
        if "daily_capacity" in values:
            record["daily_capacity"] = r.get("daily_capacity", f.whole_number, default=5)
        if "active" in values:
            record["active"] = r.get("active", f.flag, default=True)
        self._check_slack_id(r, member, record.get("slack_user_id"), row)
        r.done()
        self.file_handles.add(member)
        if record.get("lead_handle"):
            self.leads.append((row, line, member, str(record["lead_handle"])))
        return record

    def _check_slack_id(
        self, r: FieldReader, member: str | None, slack_id: object, row: int
    ) -> None:
        if not isinstance(slack_id, str) or member is None:
            return
        owner = self.store_slack_ids.get(slack_id)
        if owner is not None and owner != member:
            r.fail("slack_user_id", f"'{slack_id}' already belongs to team member '{owner}'")
        elif slack_id in self.file_slack_ids:
            r.fail(
                "slack_user_id",
                f"'{slack_id}' is also given in row {self.file_slack_ids[slack_id]}",
            )
        else:
            self.file_slack_ids[slack_id] = row

    def finish(self) -> list[CrossRowProblem]:
        known = self.store_handles | self.file_handles
        return [
            CrossRowProblem(
                row,
                line,
                "lead_handle",
                f"unknown lead '{lead}': not a team member in the store or this input",
            )
            for row, line, _, lead in self.leads
            if lead not in known
        ]


TEAM = KindSchema(
    kind="team",
    table=TeamMember.__table__,  # type: ignore[arg-type]
    key="handle",
    key_field="handle",
    required=("handle", "name", "team"),
    optional=("role", "slack_user_id", "lead_handle", "daily_capacity", "active"),
    defaults={
        "role": "member",
        "slack_user_id": None,
        "lead_handle": None,
        "daily_capacity": 5,
        "active": True,
    },
    make_validator=TeamRows,
)
