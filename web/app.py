"""The web app: dashboard pages, ingestion API and Slack interactivity, one FastAPI app."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from web.temporal_link import TemporalLink
from winback.runtime import Runtime

# Each module has `register(app)`; add route groups here.
ROUTE_MODULES = [
    "web.routes.health",
    "web.routes.rescue_api",  # before ingest: /api/v1/{kind} would catch /api/v1/rescues
    "web.routes.ingest",
    "web.routes.slack",
    "web.pages",
]


def create_app(runtime: Runtime, temporal: TemporalLink | None = None) -> FastAPI:
    app = FastAPI(title="winback", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.runtime = runtime
    app.state.temporal = temporal or TemporalLink(runtime.settings)
    for name in ROUTE_MODULES:
        importlib.import_module(name).register(app)
    return app
