"""The rescue's first activity: open the case and, without Slack, put its first task in the
outbox, in one transaction.

Everything before the account team sees the task is one local activity: no activity task
round trip through the server and no second workflow task. With Slack on, the workflow
delivers the first task itself (deliver_rescue_task), since a Slack post may be slow or fail.
A rescue started without its plan gets it resolved here, from the worker's playbook, and
recorded in history with the result.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.rescue_case import open_case
from activities.rescue_plans import WorkerPlaybook
from activities.rescue_store import CaseContext, OpenCaseInput
from activities.rescue_tasks import add_first_task_row, upsert_task_row
from store.db import transaction
from workflows.rescue_notices import NoticeContext, build_notice


class RescueOpener:
    """Opens rescue cases; built with the sessionmaker, whether tasks stay in the outbox and
    the worker's playbook path."""

    def __init__(
        self, sessions: sessionmaker[Session], outbox_only: bool, playbook_path: Path | None = None
    ) -> None:
        self._sessions = sessions
        self._outbox_only = outbox_only
        self._playbook = WorkerPlaybook(playbook_path)

    @activity.defn(name="open_rescue_case")
    def open_rescue_case(self, req: OpenCaseInput) -> CaseContext:
        inp = req.first_task
        resolved = None
        if inp is not None and inp.plan is None:
            resolved = self._playbook.plan_for(req.workflow_id, inp)
            req = replace(
                req,
                playbook_version=resolved.version,
                assignment_strategy=resolved.assignment_strategy,
                prefer_owner=resolved.prefer_owner,
                default_team=req.default_team or resolved.default_team,
            )
        plan = resolved or (inp.plan if inp is not None else None)
        with transaction(self._sessions) as session:
            case, opened = open_case(session, req)
            if self._outbox_only and inp is not None and plan is not None:
                ctx = NoticeContext(req.workflow_id, inp, plan, case)
                notice = build_notice(ctx, "task", "unclaimed", case.assignee)
                if opened:  # a case opened just now has no task row yet
                    add_first_task_row(session, notice)
                else:
                    upsert_task_row(session, notice, "outbox")
                case = replace(case, first_task_posted=True)
        return replace(case, plan=resolved)
