"""FastAPI dependencies: the store session, settings and Temporal client of the running app."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session
from temporalio.client import Client

from winback.runtime import Runtime
from winback.settings import Settings


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes that write call session.commit() themselves."""
    with get_runtime(request).sessions() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    client: Client = await request.app.state.temporal.client()
    return client
