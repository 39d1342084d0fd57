"""`POST /api/v1/<kind>`: the ingestion API, the same validation and upsert as `winback ingest`.

The body is a JSON array of records, JSON Lines (content-type application/x-ndjson) or CSV
with a header row (content-type text/csv).
A bearer token (WINBACK_API_TOKEN) is required; without one configured the API is off (503).
"""

from __future__ import annotations

import hmac
import json
from enum import StrEnum

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from store.ingest import IngestError, ingest_lines, ingest_records
from web.deps import get_runtime, get_settings

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
CSV_TYPE = "text/csv"
MAX_BODY_BYTES = 64 * 1024 * 1024


class Kind(StrEnum):
    customers = "customers"
    events = "events"
    feedback = "feedback"
    team = "team"


def require_api_token(request: Request, authorization: str | None = Header(None)) -> None:
    """401 without the right bearer token; 503 when no token is configured at all."""
    configured = get_settings(request).api_token
    expected = configured.get_secret_value() if configured else ""
    if not expected:
        raise HTTPException(
            status_code=503,
            detail="The ingestion API is off: set WINBACK_API_TOKEN to a long random secret "
            "and restart winback to enable it.",
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise HTTPException(
            status_code=401,
            detail="Missing or wrong bearer token (Authorization: Bearer <WINBACK_API_TOKEN>).",
            headers={"WWW-Authenticate": "Bearer"},
        )


def _rejected(
    reason: str, total: int = 1, errors: list[dict[str, object]] | None = None
) -> JSONResponse:
    errors = (
        errors
        if errors is not None
        else [{"row": None, "line": None, "field": None, "reason": reason}]
    )
    return JSONResponse(
        status_code=422,
        content={"detail": reason, "total_errors": total, "errors": errors},
    )


async def post_records(
    kind: Kind, request: Request, _: None = Depends(require_api_token)
) -> JSONResponse:
    """Validate every record, then upsert all of them in one transaction (or none)."""
    runtime = get_runtime(request)
    source = f"POST /api/v1/{kind.value}"
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"Body over {MAX_BODY_BYTES // 2**20} MB; send it in parts.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in NDJSON_TYPES or content_type == CSV_TYPE:
            report = await run_in_threadpool(
                ingest_lines,
                runtime.sessions,
                body.splitlines(keepends=True),
                kind.value,
                source,
                fmt="csv" if content_type == CSV_TYPE else "jsonl",
                settings=runtime.settings,
            )
        else:
            try:
                records = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as problem:
                return _rejected(f"body is not valid JSON: {problem}")
            if not isinstance(records, list):
                return _rejected(
                    "body must be a JSON array of records (or JSON Lines with "
                    "content-type application/x-ndjson)"
                )
            report = await run_in_threadpool(
                ingest_records,
                runtime.sessions,
                records,
                kind.value,
                source,
                settings=runtime.settings,
            )
    except IngestError as rejected:
        return _rejected(
            f"{rejected.total} error(s); nothing was written",
            rejected.total,
            [{k: v for k, v in e.as_dict().items() if k != "source"} for e in rejected.errors],
        )
    return JSONResponse(report.as_dict())


def register(app: FastAPI) -> None:
    app.post("/api/v1/{kind}", tags=["ingestion"])(post_records)
