"""Recorded RescueWorkflow histories still replay: the workflow code stays deterministic.

Histories are recorded by tests/fixtures/histories/record_rescue_histories.py; a change that
breaks replay of running rescues fails here before it reaches a worker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.rescue import RescueWorkflow
from workflows.rescue_messages import RescueInput, RescueResult

HISTORIES = Path(__file__).parent / "fixtures" / "histories"


# *_v1: recorded before the first task moved into open_rescue_case (rescues running then
# still schedule deliver_rescue_task for it, and must still replay).
# *_v2: recorded while the start carried the whole plan; the current ones name the playbook
# and take the plan from open_rescue_case's recorded result.
@pytest.mark.parametrize(
    "name",
    [
        "rescue_rescued.json",
        "rescue_no_contact.json",
        "rescue_rescued_v1.json",
        "rescue_no_contact_v1.json",
        "rescue_rescued_v2.json",
        "rescue_no_contact_v2.json",
    ],
)
async def test_recorded_rescue_history_replays(name: str) -> None:
    text = (HISTORIES / name).read_text(encoding="utf-8")
    events = json.loads(text)["events"]
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    history = WorkflowHistory.from_json("rescue-replay", text)
    result = await Replayer(workflows=[RescueWorkflow]).replay_workflow(history)
    assert result.replay_failure is None


@workflow.defn(name="RescueWorkflow")
class ChangedRescueWorkflow(RescueWorkflow):
    """A careless edit: a timer before the first activity, which old histories do not have."""

    @workflow.run
    async def run(self, inp: RescueInput) -> RescueResult:
        await workflow.sleep(1)
        return await super().run(inp)


async def test_replay_catches_a_nondeterministic_change() -> None:
    text = (HISTORIES / "rescue_rescued.json").read_text(encoding="utf-8")
    history = WorkflowHistory.from_json("rescue-replay", text)
    replayer = Replayer(workflows=[ChangedRescueWorkflow])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
