"""The Customer Room: leaders' dashboard, ops pages and the tasks outbox (server-rendered)."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web.auth import access_from_settings
from web.pages.common import register_error_pages

PAGE_MODULES = [
    "web.pages.login",
    "web.pages.assets",
    "web.pages.pipeline",
    "web.pages.listening",
    "web.pages.customer",
    "web.pages.models",
    "web.pages.tasks",
]
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def register(app: FastAPI) -> None:
    """Mount static files, set up access from settings, and add every page's routes."""
    if not hasattr(app.state, "access"):
        app.state.access = access_from_settings(app.state.runtime.settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    register_error_pages(app)
    for name in PAGE_MODULES:
        importlib.import_module(name).register(app)
    # Move the ~0.4M start-up objects (imported libraries, routes) out of the collector's
    # reach: otherwise the full collection a request happens to trigger walks them all and
    # adds ~0.2 s to that request (measured on /tasks in bench/dashboard.py).
    gc.freeze()
