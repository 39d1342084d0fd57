"""The web app's lazy Temporal client: pages render even while Temporal is down."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from winback.settings import Settings
from winback.temporal_client import connect


class TemporalLink:
    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await connect(self._settings)
            return self._client
