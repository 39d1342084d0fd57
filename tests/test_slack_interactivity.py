"""POST /slack/events over HTTP: signature, timestamp and replay checks, buttons and modals.

The rescue here is a small stand-in with RescueWorkflow's Update and query names, so the
endpoint's own rules are tested in isolation; test_slack_rescue_e2e.py drives the real one.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.slack_blocks import (
    ACTION_CLAIM,
    ACTION_LOG_STEP,
    ACTION_OUTCOME,
    ACTION_RESCHEDULE,
)
from activities.slack_step_form import encode_step_form
from activities.task_notice import FieldSpec
from tests.support.slack_app import SlackSite, add_member, eventually, slack_site
from tests.support.slack_notices import sample_notice
from tests.support.slack_payloads import (
    block_action,
    post_signed,
    serve_asgi,
    signed_request,
)
from tests.support.slack_stub import SlackStub
from web.app import create_app
from winback.runtime import Runtime
from winback.settings import Settings
from workflows.rescue_messages import (
    OUTCOMES,
    QUERY_STATUS,
    STEPS,
    UPDATE_CLAIM,
    UPDATE_ESCALATE,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    UPDATE_RESCHEDULE,
    ClaimRequest,
    EscalateRequest,
    OutcomeRequest,
    RescheduleRequest,
    RescueStatus,
    StepRequest,
)


@workflow.defn
class StandInRescue:
    """Just enough of RescueWorkflow's contract: claim, then steps in order, then outcome."""

    def __init__(self) -> None:
        self.assignee: str | None = None
        self.step = "unclaimed"
        self.outcome: str | None = None
        self.history: list[str] = []

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.outcome is not None)
        return str(self.outcome)

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> RescueStatus:
        return RescueStatus(
            workflow.info().workflow_id,
            self.step,
            self.assignee,
            False,
            self.outcome,
            list(self.history),
        )

    @workflow.update(name=UPDATE_CLAIM)
    def claim(self, req: ClaimRequest) -> RescueStatus:
        self.assignee, self.step = req.actor, STEPS[0]
        self.history.append(f"claim:{req.actor}")
        return self.status()

    @claim.validator
    def _claim_ok(self, req: ClaimRequest) -> None:
        if self.assignee:
            raise ApplicationError(f"already claimed by {self.assignee}", non_retryable=True)

    @workflow.update(name=UPDATE_LOG_STEP)
    def log_step(self, req: StepRequest) -> RescueStatus:
        self.history.append(f"{req.step}:{sorted(req.fields.items())}")
        index = STEPS.index(req.step)
        self.step = STEPS[index + 1] if index + 1 < len(STEPS) else "outcome"
        return self.status()

    @log_step.validator
    def _log_step_ok(self, req: StepRequest) -> None:
        if self.assignee is None:
            raise ApplicationError("claim the rescue first")
        if req.step != self.step:
            raise ApplicationError(f"the rescue is at step {self.step!r}, not {req.step!r}")
        if not req.fields.get("notes"):
            raise ApplicationError("notes are required")

    @workflow.update(name=UPDATE_OUTCOME)
    def record_outcome(self, req: OutcomeRequest) -> RescueStatus:
        self.outcome, self.step = req.outcome, "closed"
        self.history.append(f"outcome:{req.outcome}:{req.value_saved}")
        return self.status()

    @record_outcome.validator
    def _outcome_ok(self, req: OutcomeRequest) -> None:
        if req.outcome not in OUTCOMES:
            raise ApplicationError(f"unknown outcome {req.outcome!r}")

    @workflow.update(name=UPDATE_RESCHEDULE)
    def reschedule(self, req: RescheduleRequest) -> RescueStatus:
        self.history.append(f"reschedule:{req.days}")
        return self.status()

    @workflow.update(name=UPDATE_ESCALATE)
    def escalate(self, req: EscalateRequest) -> RescueStatus:
        self.history.append(f"escalate:{req.note}")
        return self.status()


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(users=("U0DANA", "U0STRANGER")) as server:
        yield server


@pytest.fixture
async def site(
    stub: SlackStub,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    temporal_client: Client,
) -> AsyncIterator[SlackSite]:
    add_member(sqlite_sessions, "dana", "U0DANA")
    async with slack_site(stub, sqlite_engine, sqlite_sessions, temporal_client) as served:
        yield served


@pytest.fixture
async def rescue(temporal_client: Client) -> AsyncIterator[WorkflowHandle[StandInRescue, str]]:
    queue = f"slack-{uuid.uuid4()}"
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[StandInRescue],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await temporal_client.start_workflow(
            StandInRescue.run, id=f"rescue-{uuid.uuid4()}", task_queue=queue
        )
        yield handle
        with contextlib.suppress(RPCError):  # already completed when a test recorded an outcome
            await handle.terminate()


async def status_of(handle: WorkflowHandle[StandInRescue, str]) -> RescueStatus:
    return await handle.query(QUERY_STATUS, result_type=RescueStatus)


def log_step_value(workflow_id: str, step: str = "initiate") -> str:
    notes = FieldSpec("notes", "What did they say?", multiline=True)
    return encode_step_form(
        sample_notice(workflow_id=workflow_id, step=step, fields=[notes], offers=[])
    )


async def test_endpoint_answers_503_when_slack_is_not_configured(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session]
) -> None:
    settings = Settings(database_url=str(sqlite_engine.url))
    app = create_app(Runtime(settings, sqlite_engine, sqlite_sessions))
    async with serve_asgi(app) as url, httpx.AsyncClient() as client:
        response = await client.post(f"{url}/slack/events", content="payload={}")
        health = await client.get(f"{url}/healthz")
    assert response.status_code == 503
    assert "WINBACK_SLACK_SIGNING_SECRET" in response.json()["error"]
    assert health.json() == {"status": "ok"}


async def test_claim_button_acks_at_once_and_claims(
    site: SlackSite, rescue: WorkflowHandle
) -> None:
    started = time.monotonic()
    response = await site.click("U0DANA", ACTION_CLAIM, rescue.id)
    assert response.status_code == 200 and time.monotonic() - started < 3
    await eventually(lambda: _assignee_is(rescue, "dana"))
    assert (await status_of(rescue)).history == ["claim:dana"]


async def _assignee_is(handle: WorkflowHandle, who: str) -> bool:
    return (await status_of(handle)).assignee == who


async def test_forged_stale_and_replayed_requests_are_refused(
    site: SlackSite, rescue: WorkflowHandle
) -> None:
    payload = block_action("U0DANA", ACTION_CLAIM, rescue.id, "#team-north")
    forged = signed_request(payload, secret="not-the-signing-secret")
    stale = signed_request(payload, timestamp=int(time.time()) - 6 * 60)
    assert (await post_signed(site.events_url, *forged)).status_code == 401
    assert (await post_signed(site.events_url, *stale)).status_code == 401
    assert (await status_of(rescue)).history == []

    genuine = signed_request(payload)
    assert (await post_signed(site.events_url, *genuine)).status_code == 200
    await eventually(lambda: _assignee_is(rescue, "dana"))
    calls_before = len(site.stub.calls)
    replay = await post_signed(site.events_url, *genuine)
    assert replay.status_code == 401
    assert (await status_of(rescue)).history == ["claim:dana"]
    assert len(site.stub.calls) == calls_before  # the replay reached no listener


async def test_unknown_slack_user_gets_an_ephemeral_error_and_no_update(
    site: SlackSite, rescue: WorkflowHandle
) -> None:
    before = len(site.stub.calls_to("chat.postEphemeral"))
    assert (await site.click("U0STRANGER", ACTION_CLAIM, rescue.id)).status_code == 200
    await eventually(lambda: len(site.stub.calls_to("chat.postEphemeral")) > before)
    told = site.stub.calls_to("chat.postEphemeral")[-1].args
    assert told["user"] == "U0STRANGER" and "not set up as a winback team member" in told["text"]
    assert (await status_of(rescue)).history == []


async def test_refused_claim_is_explained_in_an_ephemeral_message(
    site: SlackSite, rescue: WorkflowHandle
) -> None:
    await rescue.execute_update(UPDATE_CLAIM, ClaimRequest("lee"), result_type=RescueStatus)
    before = len(site.stub.calls_to("chat.postEphemeral"))
    await site.click("U0DANA", ACTION_CLAIM, rescue.id)
    await eventually(lambda: len(site.stub.calls_to("chat.postEphemeral")) > before)
    assert "already claimed by lee" in site.stub.calls_to("chat.postEphemeral")[-1].args["text"]


async def test_log_step_modal_for_current_step_then_submit_sends_the_update(
    site: SlackSite, rescue: WorkflowHandle
) -> None:
    views = len(site.stub.calls_to("views.open"))
    ephemerals = len(site.stub.calls_to("chat.postEphemeral"))
    await site.click("U0DANA", ACTION_LOG_STEP, log_step_value(rescue.id))
    # not claimed yet: the rescue is 'unclaimed', so no modal for 'initiate'
    await eventually(lambda: len(site.stub.calls_to("chat.postEphemeral")) > ephemerals)
    assert "at 'unclaimed' now" in site.stub.calls_to("chat.postEphemeral")[-1].args["text"]

    await rescue.execute_update(UPDATE_CLAIM, ClaimRequest("dana"), result_type=RescueStatus)
    await site.click("U0DANA", ACTION_LOG_STEP, log_step_value(rescue.id))
    view = await site.opened_view(views)
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["field:notes"]

    empty = await site.submit("U0DANA", view, {"field:notes": {"value": {"value": ""}}})
    assert empty.json() == {
        "response_action": "errors",
        "errors": {"field:notes": "notes are required"},
    }
    said = {"field:notes": {"value": {"type": "plain_text_input", "value": "price went up"}}}
    done = await site.submit("U0DANA", view, said)
    assert done.status_code == 200 and done.text == ""
    status = await status_of(rescue)
    assert status.current_step == "probe"
    assert status.history[-1] == "initiate:[('notes', 'price went up')]"


async def test_outcome_and_reschedule_modals(site: SlackSite, rescue: WorkflowHandle) -> None:
    views = len(site.stub.calls_to("views.open"))
    await site.click("U0DANA", ACTION_RESCHEDULE, rescue.id)
    reschedule = await site.opened_view(views)
    bad = await site.submit("U0DANA", reschedule, {"days": {"value": {"value": "-1"}}})
    assert bad.json()["errors"] == {"days": "Enter a number of days greater than 0"}
    ok = await site.submit("U0DANA", reschedule, {"days": {"value": {"value": "2.5"}}})
    assert ok.status_code == 200 and ok.text == ""

    await site.click("U0DANA", ACTION_OUTCOME, rescue.id)
    outcome = await site.opened_view(views + 1)
    values = {
        "outcome": {"value": {"type": "static_select", "selected_option": {"value": "rescued"}}},
        "value_saved": {"value": {"type": "number_input", "value": "1200"}},
    }
    assert (await site.submit("U0DANA", outcome, values)).status_code == 200
    assert await rescue.result() == "rescued"
    assert (await status_of(rescue)).history == ["reschedule:2.5", "outcome:rescued:1200.0"]
