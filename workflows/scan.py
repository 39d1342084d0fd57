"""ScanWorkflow: score every customer in id-range partitions, store flags, start rescues.

Deterministic orchestration only: features, scoring, storage and starts are activities.
The plan (as-of instant, partitions, segment norms, BG/NBD parameters, pinned model) is
made once and carried across continue-as-new, so one scan scores with one set of numbers.
A rescue's workflow id is `rescue-<customer external id>-<episode>`, so a re-run starts
nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.rescue_start import RescueStarter, StartRescueRequest
    from activities.scan import ScanActivities
    from activities.scan_messages import (
        ChooseRequest,
        PartitionRequest,
        PartitionResult,
        PlanRequest,
        ScanPlan,
    )

SCAN_SCHEDULE_ID = "winback-scan"


@dataclass(frozen=True)
class ScanInput:
    as_of: str | None = None  # ISO instant; default: the workflow's start time
    # Each partition costs ~45 ms of fixed scoring overhead; 50,000 customers score in ~1 s.
    partition_size: int = 50_000
    parallel_partitions: int = 4
    partitions_per_run: int = 200  # continue-as-new after this many partitions
    start_rescues: bool = True
    activity_timeout_seconds: float = 600.0
    # Carried across continue-as-new; callers leave these alone.
    scan_id: str | None = None
    plan: ScanPlan | None = None
    next_partition: int = 0
    totals: PartitionResult | None = None


@dataclass(frozen=True)
class ScanResult:
    scan_id: str
    as_of: str
    customers: int
    scored: int
    flagged: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    events_after_as_of: int = 0
    chosen: int = 0
    started: int = 0
    already_running: int = 0
    over_capacity: int = 0
    model_version: str | None = None
    start_failed: int = 0  # refused by the starter (e.g. the customer vanished); see the log


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in sorted(set(a) | set(b))}


def merge(total: PartitionResult, part: PartitionResult) -> PartitionResult:
    return PartitionResult(
        total.scored + part.scored,
        _add(total.flagged, part.flagged),
        _add(total.skipped, part.skipped),
        total.events_after_as_of + part.events_after_as_of,
    )


@workflow.defn
class ScanWorkflow:
    @workflow.run
    async def run(self, params: ScanInput) -> ScanResult:
        options: dict[str, Any] = {
            "start_to_close_timeout": timedelta(seconds=params.activity_timeout_seconds),
            "retry_policy": RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1)),
        }
        scan_id = params.scan_id or workflow.info().workflow_id
        if params.plan is not None:
            plan: ScanPlan = params.plan
        else:
            as_of = params.as_of or workflow.now().isoformat()
            plan = await workflow.execute_activity_method(
                ScanActivities.plan_scan, PlanRequest(as_of, params.partition_size), **options
            )
        totals = params.totals or PartitionResult(0)
        index = params.next_partition
        stop = min(len(plan.partitions), index + params.partitions_per_run)
        while index < stop:
            wave = plan.partitions[index : min(stop, index + params.parallel_partitions)]
            results = await asyncio.gather(
                *[
                    workflow.execute_activity_method(
                        ScanActivities.score_partition,
                        PartitionRequest(scan_id, plan, lo, hi),
                        **options,
                    )
                    for lo, hi in wave
                ]
            )
            for result in results:
                totals = merge(totals, result)
            index += len(wave)
        if index < len(plan.partitions):
            workflow.continue_as_new(
                dataclasses.replace(
                    params, scan_id=scan_id, plan=plan, next_partition=index, totals=totals
                )
            )

        chosen = started = already = over = failed = 0
        if params.start_rescues:
            choice = await workflow.execute_activity_method(
                ScanActivities.choose_rescues, ChooseRequest(scan_id, plan.as_of), **options
            )
            chosen, over = len(choice.flag_ids), choice.over_capacity
            for flag_id in choice.flag_ids:  # in priority order, one start at a time
                try:
                    outcome = await workflow.execute_activity_method(
                        RescueStarter.start_rescue_for_flag, StartRescueRequest(flag_id), **options
                    )
                except ActivityError as exc:  # one refused start must not lose the others
                    workflow.logger.warning("rescue for flag %s not started: %s", flag_id, exc)
                    failed += 1
                    continue
                started += int(outcome.started)
                already += int(not outcome.started)
        return ScanResult(
            scan_id=scan_id,
            as_of=plan.as_of,
            customers=plan.customers,
            scored=totals.scored,
            flagged=totals.flagged,
            skipped=totals.skipped,
            events_after_as_of=totals.events_after_as_of,
            chosen=chosen,
            started=started,
            already_running=already,
            over_capacity=over,
            start_failed=failed,
            model_version=plan.model_version.partition("@")[0] if plan.model_version else None,
        )
