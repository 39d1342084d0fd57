"""Token sign-in and sign-out: the token is exchanged for a signed session cookie."""

from __future__ import annotations

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from web.auth import SESSION_COOKIE, SESSION_SECONDS, check_csrf, get_access
from web.pages.common import render


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


def login(
    request: Request, token: str = Form(""), next: str = Form("/"), csrf_token: str = Form("")
) -> Response:
    check_csrf(request, csrf_token)
    access = get_access(request)
    user = access.login(token.strip())
    if user is None:
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "That token is not valid."},
            status_code=401,
        )
    target = "/tasks" if user.roles == frozenset({"member"}) and next == "/" else next
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        access.session_cookie(user),
        httponly=True,
        samesite="strict",
        max_age=SESSION_SECONDS,
    )
    return response


def logout(request: Request, csrf_token: str = Form("")) -> Response:
    check_csrf(request, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def register(app: FastAPI) -> None:
    app.get("/login", include_in_schema=False)(login_form)
    app.post("/login", include_in_schema=False)(login)
    app.post("/logout", include_in_schema=False)(logout)
