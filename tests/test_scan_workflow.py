"""ScanWorkflow on the real Temporal dev server, with SQLite and PostgreSQL stores.

Rescues are started on a queue no worker polls, so this tests the scan alone: which flags
are stored, which rescues are started, and that a second scan starts nothing twice.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Replayer, Worker

from activities.rescue_start import RescueStarter, StartRescueRequest, StartRescueResult
from activities.scan import ScanActivities
from classifiers.risk.rules import load_rules
from store.models import Customer, Flag
from tests.support.detect_data import AS_OF, scan_store
from winback.settings import Settings
from workflows.scan import ScanInput, ScanResult, ScanWorkflow


async def run_scan(
    client: Client, queue: str, partition_size: int = 7, partitions_per_run: int = 200
) -> ScanResult:
    return await client.execute_workflow(
        ScanWorkflow.run,
        ScanInput(
            as_of=AS_OF.isoformat(),
            partition_size=partition_size,
            partitions_per_run=partitions_per_run,
            activity_timeout_seconds=60,
        ),
        id=f"scan-{uuid.uuid4()}",
        task_queue=queue,
    )


def flags_by_customer(sessions: sessionmaker[Session], scan_id: str) -> dict[str, Flag]:
    with sessions() as session:
        rows = session.execute(
            select(Customer.external_id, Flag)
            .join(Flag, Flag.customer_id == Customer.id)
            .where(Flag.scan_id == scan_id)
        ).all()
    return {external_id: flag for external_id, flag in rows}


async def test_scan_flags_stores_and_starts_each_rescue_once(
    temporal_client: Client, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    tag = f"{uuid.uuid4().hex[:6]}-"
    scan_store(sessions, tag)
    queue, rescue_queue = f"scan-{uuid.uuid4()}", f"rescue-{uuid.uuid4()}"
    settings = Settings(data_dir=tmp_path)
    starter = RescueStarter(temporal_client, sessions, settings, task_queue=rescue_queue)
    scans = ScanActivities(sessions, load_rules())
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[ScanWorkflow],
        activities=[
            scans.plan_scan,
            scans.score_partition,
            scans.choose_rescues,
            starter.start_rescue_for_flag,
        ],
        activity_executor=ThreadPoolExecutor(4),
    ):
        # Small partitions and runs force several partitions and a continue-as-new.
        first = await run_scan(temporal_client, queue, partition_size=7, partitions_per_run=2)
        second = await run_scan(temporal_client, queue)

    assert first.customers == 36 and first.scored == 33
    assert first.flagged == {"at_risk": 1, "lapsed": 1, "lost": 1}
    assert first.skipped == {"negative_amount": 1, "no_events": 1, "open_rescue": 1}
    assert (first.chosen, first.started, first.already_running) == (3, 3, 0)
    # Same day, same customers: flagged again, but every rescue already exists.
    assert second.flagged == first.flagged
    assert (second.chosen, second.started, second.already_running) == (3, 0, 3)

    flags = flags_by_customer(sessions, first.scan_id)
    flags = {name.removeprefix(tag): flag for name, flag in flags.items()}
    assert sorted(flags) == ["cancelled-1", "failing-payer", "lapsed-1"]
    assert flags["lapsed-1"].kind == "lapsed"
    assert flags["lapsed-1"].reasons[0] == "usually active every 9 days; silent 41 days"
    assert flags["failing-payer"].reasons == ["payment failed twice in 90 days"]
    assert flags["cancelled-1"].kind == "lost" and flags["cancelled-1"].value_at_risk == 8000.0
    assert {f.status for f in flags.values()} == {"started"}
    assert flags["lapsed-1"].workflow_id == f"rescue-{tag}lapsed-1-1"
    again = flags_by_customer(sessions, second.scan_id)
    assert {f.workflow_id for f in again.values()} == {f.workflow_id for f in flags.values()}

    # Deterministic: both runs' histories replay without a non-determinism error.
    for scan in (first, second):
        history = await temporal_client.get_workflow_handle(scan.scan_id).fetch_history()
        await Replayer(workflows=[ScanWorkflow]).replay_workflow(history)

    for flag in flags.values():  # the rescues exist on the server, once each
        handle = temporal_client.get_workflow_handle(str(flag.workflow_id))
        description = await handle.describe()
        assert description.task_queue == rescue_queue
        try:
            await handle.terminate("scan test done")
        except RPCError:
            pass


async def test_a_refused_rescue_start_is_counted_and_the_rest_start(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    tag = f"{uuid.uuid4().hex[:6]}-"
    scan_store(sqlite_sessions, tag)
    queue = f"scan-{uuid.uuid4()}"
    asked: list[int] = []

    # Stands in for the rescue starter: refuses the first flag it is asked about.
    @activity.defn(name="start_rescue_for_flag")
    async def refuse_first(req: StartRescueRequest) -> StartRescueResult:
        asked.append(req.flag_id)
        if len(asked) == 1:
            raise ApplicationError("customer vanished", non_retryable=True)
        return StartRescueResult(f"rescue-flag-{req.flag_id}", started=True)

    scans = ScanActivities(sqlite_sessions, load_rules())
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[ScanWorkflow],
        activities=[scans.plan_scan, scans.score_partition, scans.choose_rescues, refuse_first],
        activity_executor=ThreadPoolExecutor(2),
    ):
        result = await run_scan(temporal_client, queue)
    assert (result.chosen, result.started, result.start_failed) == (3, 2, 1)
    assert len(asked) == 3
