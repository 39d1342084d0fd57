"""`POST /api/v1/rescues`: start (or find) the rescue for a customer or a flag.

Same bearer token as the ingestion API (WINBACK_API_TOKEN). 201 with the new workflow id, or
200 with the customer's open rescue: starting twice never opens two.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, model_validator
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.rescue_start import RescueStarter, StartRescueRequest, StartRescueResult
from playbooks.loader import PlaybookError
from web.deps import get_runtime, get_temporal
from web.routes.ingest import require_api_token
from winback.runtime import Runtime


class StartRescueBody(BaseModel):
    """Either a customer external id (with a scenario) or the id of a stored flag."""

    model_config = ConfigDict(extra="forbid")

    customer: str | None = None
    scenario: Literal["at_risk", "lapsed"] = "at_risk"
    flag_id: int | None = None

    @model_validator(mode="after")
    def _one_target(self) -> StartRescueBody:
        if (self.customer is None) == (self.flag_id is None):
            raise ValueError("give exactly one of 'customer' or 'flag_id'")
        return self


async def start_rescue(
    body: StartRescueBody,
    runtime: Runtime = Depends(get_runtime),
    client: Client = Depends(get_temporal),
) -> JSONResponse:
    try:
        starter = RescueStarter(client, runtime.sessions, runtime.settings)
        if body.flag_id is not None:
            result: StartRescueResult = await starter.start_for_flag(
                StartRescueRequest(body.flag_id)
            )
        else:
            assert body.customer is not None
            result = await starter.start_for_customer(body.customer, body.scenario)
    except ApplicationError as exc:
        status = 404 if "does not exist" in exc.message else 409
        raise HTTPException(status_code=status, detail=exc.message) from None
    except PlaybookError as exc:
        # The configured playbook is broken: a server-side problem, said plainly.
        raise HTTPException(status_code=503, detail=f"rescue playbook is invalid: {exc}") from None
    return JSONResponse(
        {"workflow_id": result.workflow_id, "started": result.started},
        status_code=201 if result.started else 200,
    )


def register(app: FastAPI) -> None:
    app.post(
        "/api/v1/rescues",
        tags=["rescues"],
        dependencies=[Depends(require_api_token)],
        status_code=201,
    )(start_rescue)
