"""Scan activities: plan the partitions, score one partition and store its flags, choose
which flags get a rescue today. Built with the session factory and the validated rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.scan_messages import (
    ChooseRequest,
    ChooseResult,
    PartitionRequest,
    PartitionResult,
    PlanRequest,
    ScanPlan,
)
from activities.scan_processes import LazyProcessPool, shares_across_processes
from classifiers.risk.bgnbd import BGNBDParams
from classifiers.risk.context import build_lapse_context
from classifiers.risk.detect import detect
from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.lapse import LapseContext
from classifiers.risk.model import RiskModel, load_risk_model
from classifiers.risk.priority import choose_rescues
from classifiers.risk.registry import live_risk_version
from classifiers.risk.rules import DetectionRules
from store.activity_refresh import catch_up
from store.bulk_insert import insert_rows
from store.db import transaction
from store.models import Customer, Flag

FLAG_COLUMNS = (
    "customer_id",
    "scan_id",
    "scanned_at",
    "kind",
    "probability",
    "value_at_risk",
    "reasons",
    "detector",
    "status",
)


def _instant(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        raise ApplicationError(f"as_of {iso!r} has no time zone", non_retryable=True)
    return moment


class ScanActivities:
    """Built with the session factory, the validated rules and, optionally, a process pool
    that scores partitions (see activities/scan_processes.py); without one, threads do."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: DetectionRules,
        pool: LazyProcessPool | None = None,
    ) -> None:
        self._sessions = sessions
        self._rules = rules
        self._models: dict[str, RiskModel] = {}
        self._pool = pool

    def _windows(self, as_of: datetime) -> FeatureWindows:
        w = self._rules.window_days
        return FeatureWindows(
            as_of=as_of,
            activity_kinds=self._rules.activity_kinds(),
            usage_days=w["usage"],
            complaints_days=w["complaints"],
            payments_days=w["payments"],
            contract_days=w["contract"],
        )

    @activity.defn(name="plan_scan")
    async def plan_scan(self, req: PlanRequest) -> ScanPlan:
        return await asyncio.to_thread(self.plan_sync, req)

    def plan_sync(self, req: PlanRequest) -> ScanPlan:
        """Bring the activity rollup up to date, then what every partition shares."""
        if req.partition_size < 1:
            raise ApplicationError("partition_size must be >= 1", non_retryable=True)
        as_of = _instant(req.as_of)
        with transaction(self._sessions) as session:
            refresh = catch_up(
                session.connection(),
                self._rules.activity_kinds(),
                tail_days=self._rules.recent_event_days(),
            )
        activity.logger.info(
            "activity rollup %s: %d customers in %.1fs",
            "rebuilt" if refresh.rebuilt else "caught up",
            refresh.customers,
            refresh.seconds,
        )
        with self._sessions() as session:
            lo, hi, count = session.execute(
                select(func.min(Customer.id), func.max(Customer.id), func.count())
            ).one()
            context = build_lapse_context(session, self._windows(as_of))
            live = live_risk_version(session)
        partitions = []
        if count:
            partitions = [
                (start, min(start + req.partition_size, hi + 1))
                for start in range(lo, hi + 1, req.partition_size)
            ]
        bg = context.bgnbd
        return ScanPlan(
            as_of=req.as_of,
            partitions=partitions,
            customers=int(count or 0),
            segment_gap_days=context.segment_gap_days,
            overall_gap_days=context.overall_gap_days,
            bgnbd=[bg.r, bg.alpha, bg.a, bg.b] if bg else None,
            model_version=f"{live.version}@{live.path}" if live else None,
        )

    @activity.defn(name="score_scan_partition")
    async def score_partition(self, req: PartitionRequest) -> PartitionResult:
        if self._pool is None:
            result = await asyncio.to_thread(self.score_sync, req)
        else:
            result = await self._pool.run(req)
        activity.logger.info(
            "scan %s [%d, %d): %d scored, %d flagged",
            req.scan_id,
            req.lo,
            req.hi,
            result.scored,
            sum(result.flagged.values()),
        )
        return result

    def _model(self, pinned: str | None) -> tuple[RiskModel | None, str | None]:
        if pinned is None:
            return None, None
        version, _, path = pinned.partition("@")
        if pinned not in self._models:
            try:
                self._models[pinned] = load_risk_model(Path(path))
            except (OSError, ValueError) as exc:
                raise ApplicationError(f"risk model {version}: {exc}", non_retryable=True) from exc
        return self._models[pinned], version

    def score_sync(self, req: PartitionRequest) -> PartitionResult:
        """Score one partition and store its flags (in a worker thread or a pool process)."""
        plan = req.plan
        as_of = _instant(plan.as_of)
        lapse = LapseContext(
            plan.segment_gap_days,
            plan.overall_gap_days,
            BGNBDParams(*plan.bgnbd) if plan.bgnbd else None,
        )
        model, version = self._model(plan.model_version)
        with self._sessions() as session:  # read first, then one short write transaction:
            features = compute_features(session, req.lo, req.hi, self._windows(as_of))
        batch = detect(features, as_of, self._rules, lapse, model, version)
        # (A read transaction that later writes fails at once on SQLite if another process
        # wrote in between; a transaction that starts by writing waits for its turn.)
        with transaction(self._sessions) as session:
            # A retried partition replaces its own rows, so every flag is stored once.
            session.execute(
                delete(Flag).where(
                    Flag.scan_id == req.scan_id,
                    Flag.customer_id >= req.lo,
                    Flag.customer_id < req.hi,
                )
            )
            insert_rows(
                session.connection(),
                Flag.__table__,  # type: ignore[arg-type]
                FLAG_COLUMNS,
                (
                    (
                        d.customer_id,
                        req.scan_id,
                        as_of,
                        d.kind,
                        d.probability,
                        d.value_at_risk,
                        d.reasons,
                        d.detector,
                        "queued",
                    )
                    for d in batch.detections
                ),
            )
        flagged: dict[str, int] = {}
        for d in batch.detections:
            flagged[d.kind] = flagged.get(d.kind, 0) + 1
        return PartitionResult(batch.scored, flagged, batch.skipped, batch.events_after_as_of)

    @activity.defn(name="choose_scan_rescues")
    async def choose_rescues(self, req: ChooseRequest) -> ChooseResult:
        return await asyncio.to_thread(self._choose, req)

    def _choose(self, req: ChooseRequest) -> ChooseResult:
        capacity = self._rules.defaults.priority.unassigned_daily_capacity
        with transaction(self._sessions) as session:
            choice = choose_rescues(session, req.scan_id, _instant(req.as_of), capacity)
        return ChooseResult(choice.chosen_flag_ids, choice.over_capacity)


def scan_activities(
    sessions: sessionmaker[Session],
    rules_path: Path | None = None,
    processes: int = 1,
    database_url: str | None = None,
) -> list[Callable[..., Any]]:
    """The scan's activities for the worker; the rules file is validated here, at start-up.
    With processes > 1 (and a store other processes can open), partitions are scored in a
    pool of that many processes; else in the worker's threads."""
    from classifiers.risk.rules import load_rules

    rules = load_rules(rules_path)
    pool = None
    if processes > 1 and database_url and shares_across_processes(database_url):
        pool = LazyProcessPool(database_url, rules_path, processes)
    scans = ScanActivities(sessions, rules, pool)
    return [scans.plan_scan, scans.score_partition, scans.choose_rescues]
