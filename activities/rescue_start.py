"""Starting rescues: one RescueWorkflow per customer episode, never two open at once.

Used by the CLI, the API and the scan workflow. The store is checked for an open case first;
the workflow id `rescue-<customer external id>-<episode>` with USE_EXISTING covers the race
in which two starters ask before the first case row is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from playbooks.loader import DEFAULT_PLAYBOOK, load_playbook, resolve_plan
from playbooks.schema import Playbook
from store.base import utcnow
from store.db import transaction
from store.models import Customer, Flag, RescueCase, RescueEvent
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


def current_playbook(path: Path | None) -> Playbook:
    """The validated playbook at `path`, parsed once per version of the file: the API and CLI
    build a starter per call, and a rescue should not pay for YAML parsing and validation."""
    file = path or DEFAULT_PLAYBOOK
    try:
        stat = file.stat()
    except OSError:
        return load_playbook(file)  # its error names the file
    return _parsed_playbook(file.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parsed_playbook(path: Path, _mtime_ns: int, _size: int) -> Playbook:
    return load_playbook(path)


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
            flag = session.get(Flag, flag_id) if flag_id is not None else None
            if flag_id is not None and flag is None:
                raise _business_error(f"flag {flag_id} does not exist")
            if flag is not None:
                customer = session.get(Customer, flag.customer_id)
                scenario = "lapsed" if flag.kind in ("lapsed", "lost") else "at_risk"
            else:
                by_external = select(Customer).where(Customer.external_id == external_id)
                customer = session.scalar(by_external)
            if customer is None:
                raise _business_error(f"customer {external_id!r} does not exist")
            if scenario not in self._playbook.scenarios:
                raise _business_error(f"unknown scenario {scenario!r}: use at_risk or lapsed")
            # One read decides both "is one open?" and the next episode, so a case row being
            # written meanwhile cannot make them disagree.
            latest = session.scalar(
                select(RescueCase)
                .where(RescueCase.customer_id == customer.id)
                .order_by(RescueCase.episode.desc())
                .limit(1)
            )
            if latest is not None and latest.status == "open":
                return _Prepared(latest.workflow_id, existing=True)
            if flag is None:
                flag = session.scalar(
                    select(Flag)
                    .where(Flag.customer_id == customer.id, Flag.kind == scenario)
                    .order_by(Flag.scanned_at.desc(), Flag.id.desc())
                    .limit(1)
                )
            episode = latest.episode + 1 if latest is not None else 1
            reasons = list(flag.reasons) if flag else []
            plan = resolve_plan(
                self._playbook, scenario, customer.segment, customer.value_per_year, reasons,
                customer.team,
            )
            inp = RescueInput(
                customer_id=customer.id, customer_external_id=customer.external_id,
                episode=episode, scenario=scenario, segment=customer.segment,
                value_per_year=customer.value_per_year,
                probability=flag.probability if flag else 1.0, reasons=reasons,
                flag_id=flag.id if flag else None, plan=plan,
                team=customer.team,
            )
            return _Prepared(rescue_workflow_id(customer.external_id, episode), False, inp)

    async def _start(self, prepared: _Prepared, flag_id: int | None) -> StartRescueResult:
        started = False
        if not prepared.existing and prepared.inp is not None:
            try:
                handle = await self._client.start_workflow(
                    WORKFLOW_NAME, prepared.inp, id=prepared.workflow_id,
                    task_queue=self._task_queue, result_type=RescueResult,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
                response = getattr(handle, "_start_workflow_response", None)
                started = bool(getattr(response, "started", True))
            except WorkflowAlreadyStartedError as exc:
                # USE_EXISTING returns running rescues; only a finished one with this id lands
                # here, which means the store lost cases that Temporal still remembers.
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
        session.add(RescueEvent(
            case_id=case.id, event_key=f"{workflow_id}:abandoned", kind="abandoned",
            actor="winback", at=now, data={"ended": how_it_ended},
        ))


def _business_error(message: str) -> ApplicationError:
    return ApplicationError(message, type="RescueStartRefused", non_retryable=True)
