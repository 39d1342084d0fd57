"""Ops / models (`/ops/models`): model versions and their scores, the review queue with
one-click relabel, and promote / rollback behind a confirmation page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.registry import ModelRegistry, RegistryError
from classifiers.text import ModelFileError
from classifiers.text.review_queue import ReviewError, apply_review_label
from store.models import ModelVersion
from web.auth import check_csrf, require
from web.deps import get_runtime, get_session
from web.pages.common import render
from web.queries.models import category_choices, model_views, review_queue


def models_page(
    request: Request, session: Session = Depends(get_session), notice: str = "", error: str = ""
) -> Response:
    user = require(request, "ops")
    return render(
        request,
        "models.html",
        {
            "views": model_views(session),
            "queue": review_queue(session),
            "choices": category_choices(session),
            "notice": notice,
            "error": error,
            "title": "Models and review",
        },
        user,
    )


def _back(notice: str = "", error: str = "") -> Response:
    query = urlencode({k: v for k, v in (("notice", notice), ("error", error)) if v})
    return RedirectResponse(f"/ops/models?{query}", status_code=303)


def relabel(
    request: Request,
    item_id: int = Form(...),
    category_id: str = Form(...),
    csrf_token: str = Form(""),
    session: Session = Depends(get_session),
) -> Response:
    user = require(request, "ops")
    check_csrf(request, csrf_token)
    try:
        apply_review_label(session, item_id, category_id, user.label)
    except ReviewError as exc:
        return _back(error=str(exc))
    session.commit()
    return _back(notice=f"Item {item_id} relabelled as {category_id}.")


def confirm_page(
    request: Request,
    action: str,
    version_id: int | None = None,
    kind: str = "",
    session: Session = Depends(get_session),
) -> Response:
    """Promote and rollback change what classifies every new message: ask first."""
    user = require(request, "ops")
    if action not in ("promote", "rollback"):
        raise HTTPException(404, f"Unknown model action {action!r}.")
    target = session.get(ModelVersion, version_id) if version_id else None
    if action == "promote" and target is None:
        raise HTTPException(404, f"No model version with id {version_id}.")
    kind = target.kind if target else kind
    live = session.scalar(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "live")
    )
    return render(
        request,
        "confirm.html",
        {
            "action": action,
            "target": target,
            "kind": kind,
            "live": live,
            "title": f"Confirm {action}",
        },
        user,
    )


def do_action(
    request: Request,
    action: str,
    version_id: int | None = Form(None),
    kind: str = Form(""),
    confirm: str = Form(""),
    csrf_token: str = Form(""),
    session: Session = Depends(get_session),
) -> Response:
    require(request, "ops")
    check_csrf(request, csrf_token)
    if confirm != "yes":
        return _back(error=f"{action} not confirmed: nothing changed.")
    runtime = get_runtime(request)
    registry = ModelRegistry(runtime.sessions, runtime.settings.models_dir)
    target = session.get(ModelVersion, version_id) if version_id is not None else None
    try:
        if action == "promote" and target is not None:
            row = registry.promote(target.kind, target.version)
        elif action == "rollback":
            row = registry.rollback(kind)
        else:
            raise HTTPException(404, f"Unknown model action {action!r} or version.")
    except (RegistryError, ModelFileError) as exc:
        return _back(error=f"{action} refused: {exc}")
    return _back(notice=f"{row.kind} model {row.version} is now live.")


def register(app: FastAPI) -> None:
    app.get("/ops/models", include_in_schema=False)(models_page)
    app.post("/ops/models/relabel", include_in_schema=False)(relabel)
    app.get("/ops/models/{action}", include_in_schema=False)(confirm_page)
    app.post("/ops/models/{action}", include_in_schema=False)(do_action)
