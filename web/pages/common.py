"""What every dashboard page shares: templates, the signed-in user, CSRF and error pages."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from web import charts
from web.auth import CSRF_COOKIE, CSRF_FIELD, User, csrf_seed, csrf_token, current_user
from web.queries.periods import Filters
from winback.money import money

API_PREFIXES = ("/api/", "/slack/", "/healthz")  # their clients always get JSON errors
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


@cache
def templates() -> Jinja2Templates:
    env = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env.env.filters.update(money=money, percent=percent)
    env.env.globals.update(charts=charts, csrf_field=CSRF_FIELD)
    return env


def filters_from(request: Request) -> Filters:
    params = request.query_params
    return Filters(segment=params.get("segment") or None, team=params.get("team") or None)


def render(
    request: Request,
    template: str,
    context: dict[str, object],
    user: User | None = None,
    status_code: int = 200,
) -> Response:
    """A page with the layout's user badge, local-admin banner and a CSRF token for forms."""
    user = user or current_user(request)
    seed = csrf_seed(request)
    new_seed = None if seed else secrets.token_urlsafe(24)
    runtime = request.app.state.runtime
    response = templates().TemplateResponse(
        request,
        template,
        {
            **context,
            "user": user,
            "csrf": csrf_token(request, seed or new_seed),
            "slack_enabled": runtime.settings.slack_enabled(),
            "path": request.url.path,
        },
        status_code=status_code,
    )
    if new_seed:
        response.set_cookie(CSRF_COOKIE, new_seed, httponly=True, samesite="strict")
    return response


async def _html_errors(request: Request, exc: Exception) -> Response:
    """Browsers get a login redirect (401) or a readable page; API clients get JSON."""
    assert isinstance(exc, StarletteHTTPException)
    wants_html = "text/html" in request.headers.get("accept", "")
    api = request.url.path.startswith(API_PREFIXES)
    if api or not wants_html or exc.status_code not in (400, 401, 403, 404):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(
        request,
        "error.html",
        {"status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
    )


def register_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _html_errors)
