"""One customer (`/customers/{external_id}`): flags over time, rescues step by step, feedback."""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import RescueCase, TaskMessage
from web.auth import require
from web.deps import get_session
from web.pages.common import render
from web.queries.customer import customer_story


def customer_page(
    external_id: str, request: Request, session: Session = Depends(get_session)
) -> Response:
    user = require(request, "leader", "member")
    story = customer_story(session, external_id)
    if story is None:
        raise HTTPException(404, f"No customer with external id {external_id!r}.")
    if not user.has("leader") and not _has_task_for(session, user.handle, story.customer.id):
        raise HTTPException(403, "Account members see the customers of their own tasks.")
    return render(request, "customer.html", {"story": story, "title": story.customer.name}, user)


def _has_task_for(session: Session, handle: str | None, customer_id: int) -> bool:
    query = (
        select(TaskMessage.id)
        .join(RescueCase, RescueCase.id == TaskMessage.case_id)
        .where(TaskMessage.recipient == handle, RescueCase.customer_id == customer_id)
        .limit(1)
    )
    return session.scalar(query) is not None


def register(app: FastAPI) -> None:
    app.get("/customers/{external_id}", include_in_schema=False)(customer_page)
