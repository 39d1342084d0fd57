"""The rescue's first activity: open the case and, without Slack, put its first task in the
outbox, in one transaction.

Everything before the account team sees the task is one local activity: no activity task
round trip through the server and no second workflow task. With Slack on, the workflow
delivers the first task itself (deliver_rescue_task), since a Slack post may be slow or fail.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.rescue_store import CaseContext, OpenCaseInput, open_case
from activities.rescue_tasks import upsert_task_row
from store.db import transaction
from workflows.rescue_notices import NoticeContext, build_notice


class RescueOpener:
    """Opens rescue cases; built with the sessionmaker and whether tasks stay in the outbox."""

    def __init__(self, sessions: sessionmaker[Session], outbox_only: bool) -> None:
        self._sessions = sessions
        self._outbox_only = outbox_only

    @activity.defn(name="open_rescue_case")
    def open_rescue_case(self, req: OpenCaseInput) -> CaseContext:
        with transaction(self._sessions) as session:
            case = open_case(session, req)
            inp = req.first_task
            if not self._outbox_only or inp is None or inp.plan is None:
                return case
            ctx = NoticeContext(req.workflow_id, inp, inp.plan, case)
            upsert_task_row(session, build_notice(ctx, "task", "unclaimed", case.assignee),
                            "outbox")
            return replace(case, first_task_posted=True)
