"""Tasks outbox (`/tasks`): rescue tasks when Slack is off, with the same actions as Slack.

Every action sends the rescue workflow's own Temporal Update (claim, log_step,
record_outcome), so the workflow's validators decide, and their refusals are shown here.
Account members see and act on their own tasks; leaders and ops see all, read-only; the local
admin (no tokens configured) acts as the handle typed in the form. Leaders also see the
latest weekly digests the outbox holds (written there when Slack is off).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from activities.digest import stored_digests
from store.models import RescueCase, TaskMessage
from web.auth import User, check_csrf, require
from web.deps import get_session
from web.pages.common import render
from web.queries.models import category_choices
from web.queries.tasks import mrkdwn_html, open_tasks
from workflows.rescue_messages import (
    OUTCOMES,
    UPDATE_CLAIM,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    ClaimRequest,
    OutcomeRequest,
    RescueStatus,
    StepRequest,
)


def _visible_to(user: User) -> str | None:
    """None = every task; else only this handle's."""
    return None if user.local_admin or not user.has("member") else user.handle


def tasks_page(
    request: Request,
    session: Session = Depends(get_session),
    notice: str = "",
    error: str = "",
    task: int | None = None,
) -> Response:
    user = require(request, "member", "leader")
    outbox = request.app.state.runtime.settings.data_dir / "outbox"
    return render(
        request,
        "tasks.html",
        {
            "tasks": open_tasks(session, _visible_to(user)),
            "outcomes": OUTCOMES,
            "notice": notice,
            "error": error,
            "error_task": task,
            "can_act": user.has("member"),
            "categories": category_choices(session),
            "title": "Tasks",
            "digests": stored_digests(outbox) if user.has("leader") else None,
            "mrkdwn": mrkdwn_html,
        },
        user,
    )


def _back(notice: str = "", error: str = "", task: int | None = None) -> Response:
    params = {k: v for k, v in (("notice", notice), ("error", error)) if v}
    if task is not None:
        params["task"] = str(task)
    return RedirectResponse(f"/tasks?{urlencode(params)}#task-{task or ''}", status_code=303)


def _error_text(exc: Exception) -> str:
    cause = getattr(exc, "cause", None)
    return str(getattr(cause, "message", None) or cause or exc)


async def task_action(
    message_id: int, action: str, request: Request, session: Session = Depends(get_session)
) -> Response:
    user = require(request, "member")
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    message = session.get(TaskMessage, message_id)
    if message is None:
        raise HTTPException(404, f"No task {message_id}.")
    if not user.local_admin and message.recipient != user.handle:
        raise HTTPException(403, "This task belongs to someone else.")
    actor = str(form.get("actor") or "") if user.local_admin else (user.handle or "")
    if not actor:
        return _back(error="Say who you are acting as (team-member handle).", task=message_id)
    case = session.get(RescueCase, message.case_id)
    assert case is not None  # foreign key
    try:
        request_name, payload = _update_for(action, actor, message, form)
    except ValueError as exc:
        return _back(error=str(exc), task=message_id)
    client = await request.app.state.temporal.client()
    handle = client.get_workflow_handle(case.workflow_id)
    try:
        await handle.execute_update(request_name, payload, result_type=RescueStatus)
    except (WorkflowUpdateFailedError, RPCError) as exc:
        return _back(error=f"Refused: {_error_text(exc)}", task=message_id)
    return _back(notice=f"{action} sent for {case.workflow_id}.")


def _update_for(action: str, actor: str, message: TaskMessage, form: object) -> tuple[str, object]:
    """Build the Update from the form; raises ValueError with a message for the page."""
    get = form.get  # type: ignore[attr-defined]
    if action == "claim":
        return UPDATE_CLAIM, ClaimRequest(actor=actor)
    if action == "step":
        fields = {
            k[len("field:") :]: str(v)
            for k, v in form.items()  # type: ignore[attr-defined]
            if k.startswith("field:") and str(v).strip()
        }
        return UPDATE_LOG_STEP, StepRequest(
            actor=actor,
            step=message.step or "",
            fields=fields,
            offers_made=[str(v) for v in form.getlist("offers_made")],  # type: ignore[attr-defined]
            offers_accepted=[str(v) for v in form.getlist("offers_accepted")],  # type: ignore[attr-defined]
        )
    if action == "outcome":
        outcome = str(get("outcome") or "")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        try:
            saved = float(get("value_saved") or 0)
            due = float(get("follow_up_due_days")) if get("follow_up_due_days") else None
        except ValueError as exc:
            raise ValueError("value saved and follow-up days must be numbers") from exc
        return UPDATE_OUTCOME, OutcomeRequest(
            actor=actor,
            outcome=outcome,
            reason=str(get("reason") or ""),
            value_saved=saved,
            follow_up=str(get("follow_up") or ""),
            follow_up_due_days=due,
            lost_category_id=str(get("lost_category_id") or "") or None,
        )
    raise ValueError(f"unknown action {action!r}")


def register(app: FastAPI) -> None:
    app.get("/tasks", include_in_schema=False)(tasks_page)
    app.post("/tasks/{message_id}/{action}", include_in_schema=False)(task_action)
