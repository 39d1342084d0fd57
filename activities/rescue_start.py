"""Starting rescues: one RescueWorkflow per customer episode, never two open at once.

Used by the CLI, the API and the scan workflow. The store is checked for an open case first;
the workflow id `rescue-<customer external id>-<episode>` with USE_EXISTING covers the race
in which two starters ask before the first case row is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.rescue_start_reads import StartFacts, facts_for_customer, facts_for_flag
from playbooks.loader import PlaybookError, current_playbook, playbook_digest, resolve_plan
from playbooks.schema import Playbook
from store.base import utcnow
from store.db import transaction
from store.models import Flag, RescueCase, RescueEvent
from winback.settings import Settings
from workflows.rescue_messages import RescueInput, RescueResult

WORKFLOW_NAME = "RescueWorkflow"


@dataclass(frozen=True)
class StartRescueRequest:
    flag_id: int


@dataclass(frozen=True)
class StartRescueResult:
    workflow_id: str
    started: bool  # False: the customer's open rescue is returned instead


def rescue_workflow_id(external_id: str, episode: int) -> str:
    return f"rescue-{external_id}-{episode}"


@dataclass(frozen=True)
class _Prepared:
    workflow_id: str
    existing: bool
    inp: RescueInput | None = None


class RescueStarter:
    """Starts (or finds) the rescue for a flag or a customer; built with its dependencies."""

    def __init__(
        self,
        client: Client,
        sessions: sessionmaker[Session],
        settings: Settings,
        playbook: Playbook | None = None,
        task_queue: str | None = None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._settings = settings
        self._playbook = playbook or current_playbook(settings.playbook_path)
        self._digest = playbook_digest(self._playbook)
        # Workers resolve plans from the configured playbook; a starter given another one
        # (a test, a what-if) sends its plan along instead.
        self._send_plan = playbook is not None and self._digest != _configured_digest(settings)
        self._task_queue = task_queue or settings.task_queue

    async def start_for_flag(self, req: StartRescueRequest) -> StartRescueResult:
        prepared = await self._prepare_live(None, None, req.flag_id)
        return await self._start(prepared, req.flag_id)

    async def start_for_customer(
        self, external_id: str, scenario: str = "at_risk"
    ) -> StartRescueResult:
        prepared = await self._prepare_live(external_id, scenario, None)
        return await self._start(prepared, None)

    async def _prepare_live(
        self, external_id: str | None, scenario: str | None, flag_id: int | None
    ) -> _Prepared:
        """As _prepare, but an open case whose workflow is gone (terminated, say) is closed
        first, so a customer is never stuck behind a rescue nobody can work."""
        prepared = await asyncio.to_thread(self._prepare, external_id, scenario, flag_id)
        if not prepared.existing:
            return prepared
        ended = await self._ended_status(prepared.workflow_id)
        if ended is None:
            return prepared
        await asyncio.to_thread(close_abandoned_case, self._sessions, prepared.workflow_id, ended)
        return await asyncio.to_thread(self._prepare, external_id, scenario, flag_id)

    async def _ended_status(self, workflow_id: str) -> str | None:
        """None while the workflow runs; else how it ended (e.g. TERMINATED, NOT_FOUND)."""
        try:
            description = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return "NOT_FOUND"
            raise
        status = description.status
        if status in (None, WorkflowExecutionStatus.RUNNING):
            return None
        return status.name

    @activity.defn(name="start_rescue_for_flag")
    async def start_rescue_for_flag(self, req: StartRescueRequest) -> StartRescueResult:
        return await self.start_for_flag(req)

    def _prepare(
        self, external_id: str | None, scenario: str | None, flag_id: int | None
    ) -> _Prepared:
        with transaction(self._sessions) as session:
            if flag_id is not None:
                facts = facts_for_flag(session, flag_id)
                if facts is None:
                    raise _business_error(f"flag {flag_id} does not exist")
            else:
                if scenario not in self._playbook.scenarios:
                    raise _business_error(f"unknown scenario {scenario!r}: use at_risk or lapsed")
                facts = facts_for_customer(session, str(external_id), scenario)
                if facts is None:
                    raise _business_error(f"customer {external_id!r} does not exist")
        if facts.latest_open and facts.latest_workflow_id:
            return _Prepared(facts.latest_workflow_id, existing=True)
        episode = (facts.latest_episode or 0) + 1
        return _Prepared(
            rescue_workflow_id(facts.external_id, episode), False, self._input(facts, episode)
        )

    def _input(self, facts: StartFacts, episode: int) -> RescueInput:
        """The workflow's input: the playbook by version and digest (the worker resolves the
        plan), or the plan itself when this starter's playbook is not the configured one."""
        plan = None
        if self._send_plan:
            plan = resolve_plan(
                self._playbook,
                facts.scenario,
                facts.segment,
                facts.value_per_year,
                facts.reasons,
                facts.team,
            )
        return RescueInput(
            customer_id=facts.customer_id,
            customer_external_id=facts.external_id,
            episode=episode,
            scenario=facts.scenario,
            segment=facts.segment,
            value_per_year=facts.value_per_year,
            probability=facts.probability if facts.probability is not None else 1.0,
            reasons=facts.reasons,
            flag_id=facts.flag_id,
            team=facts.team,
            plan=plan,
            playbook_version=self._playbook.version,
            playbook_digest=self._digest,
        )

    async def _start(self, prepared: _Prepared, flag_id: int | None) -> StartRescueResult:
        started = False
        if not prepared.existing and prepared.inp is not None:
            try:
                handle = await self._client.start_workflow(
                    WORKFLOW_NAME,
                    prepared.inp,
                    id=prepared.workflow_id,
                    task_queue=self._task_queue,
                    result_type=RescueResult,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    # A run that failed before opening its case (a playbook mismatch, say)
                    # left no case, so the same episode may run again once fixed.
                    id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                )
                response = getattr(handle, "_start_workflow_response", None)
                started = bool(getattr(response, "started", True))
            except WorkflowAlreadyStartedError as exc:
                # USE_EXISTING returns running rescues and a failed run may run again; only a
                # completed one with this id lands here, which means the store lost cases
                # that Temporal still remembers.
                raise _business_error(
                    f"{prepared.workflow_id} already ran and finished, but the store has no case "
                    "for it: restore the store or the episode numbers before starting again"
                ) from exc
        if flag_id is not None:
            await asyncio.to_thread(self._mark_flag, flag_id, prepared.workflow_id, started)
        return StartRescueResult(prepared.workflow_id, started)

    def _mark_flag(self, flag_id: int, workflow_id: str, started: bool) -> None:
        with transaction(self._sessions) as session:
            flag = session.get(Flag, flag_id)
            if flag is not None:
                flag.status = "started" if started else "skipped"
                flag.workflow_id = workflow_id


def close_abandoned_case(
    sessions: sessionmaker[Session], workflow_id: str, how_it_ended: str
) -> None:
    """Close an open case whose workflow ended without an outcome, with an audit line."""
    with transaction(sessions) as session:
        case = session.scalar(select(RescueCase).where(RescueCase.workflow_id == workflow_id))
        if case is None or case.status != "open":
            return
        now = utcnow()
        reason = f"rescue workflow ended without an outcome ({how_it_ended})"
        case.status, case.current_step, case.closed_at = "no_contact", "closed", now
        case.outcome_reason = reason
        session.add(
            RescueEvent(
                case_id=case.id,
                event_key=f"{workflow_id}:abandoned",
                kind="abandoned",
                actor="winback",
                at=now,
                data={"ended": how_it_ended},
            )
        )


def _configured_digest(settings: Settings) -> str | None:
    try:
        return playbook_digest(current_playbook(settings.playbook_path))
    except PlaybookError:  # no usable configured playbook: the given one travels with its plan
        return None


def _business_error(message: str) -> ApplicationError:
    return ApplicationError(message, type="RescueStartRefused", non_retryable=True)
