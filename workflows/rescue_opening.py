"""What RescueWorkflow asks open_rescue_case for, and the plan it works from afterwards.

Two kinds of start: the usual one names the playbook (version and digest) and the worker
resolves the plan in open_rescue_case; a start from a playbook the worker does not have
(or one recorded before plans moved to the worker) carries the plan itself.
Pure code: safe inside the workflow sandbox.
"""

from __future__ import annotations

from dataclasses import replace

from temporalio.exceptions import ApplicationError

from activities.rescue_store import CaseContext, OpenCaseInput
from workflows.rescue_messages import RescueInput
from workflows.rescue_plan import RescuePlan


def first_task_input(inp: RescueInput, plan: RescuePlan) -> RescueInput:
    """What the 'unclaimed' task shows, without the plan's steps and offers (that task shows
    neither): a smaller payload to encode and decode on the way to the first task."""
    return replace(inp, plan=replace(plan, steps=[], offers=[]))


def check_names_a_plan(inp: RescueInput) -> None:
    if inp.plan is None and not inp.playbook_digest:
        raise ApplicationError(
            "RescueInput has neither a plan nor a playbook digest: start rescues with "
            "RescueStarter",
            type="RescueInputInvalid",
            non_retryable=True,
        )


def open_case_input(workflow_id: str, inp: RescueInput) -> OpenCaseInput:
    """The case to open; assignment settings come from the plan, wherever it is resolved."""
    common = OpenCaseInput(
        workflow_id=workflow_id,
        customer_id=inp.customer_id,
        episode=inp.episode,
        scenario=inp.scenario,
        playbook_version=inp.playbook_version,
        value_at_risk=inp.value_per_year * inp.probability,
        flag_id=inp.flag_id,
        assignee=inp.assignee,
        default_team=inp.team,
        first_task=inp,
    )
    plan = inp.plan
    if plan is None:  # the worker resolves it (and the assignment settings) from inp
        return common
    return replace(
        common,
        playbook_version=plan.version,
        assignment_strategy=plan.assignment_strategy,
        prefer_owner=plan.prefer_owner,
        default_team=inp.team or plan.default_team,
        first_task=first_task_input(inp, plan),
    )


def plan_of(inp: RescueInput, case: CaseContext) -> RescuePlan:
    """The plan the start carried, else the one open_rescue_case resolved and recorded."""
    plan = inp.plan or case.plan
    if plan is None:
        raise ApplicationError(
            "open_rescue_case returned no plan for a rescue started without one",
            type="RescueInputInvalid",
            non_retryable=True,
        )
    return plan
