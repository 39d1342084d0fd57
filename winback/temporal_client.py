"""Connecting to Temporal: the configured address, or the embedded dev server's."""

from __future__ import annotations

from temporalio.client import Client

from winback.settings import Settings


def temporal_target(settings: Settings) -> str:
    return settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"


async def connect(settings: Settings) -> Client:
    """A client for winback's namespace; a clear error when Temporal is not running."""
    target = temporal_target(settings)
    try:
        return await Client.connect(target, namespace=settings.temporal_namespace)
    except RuntimeError as exc:
        raise RuntimeError(
            f"cannot reach Temporal at {target}: start the local stack with `winback up` "
            f"or set WINBACK_TEMPORAL_ADDRESS ({exc})"
        ) from exc
