"""The demo's steps after loading: train both models, then classify and scan on the stack.

Each step is idempotent: a live model is kept (not retrained), and the listening pass and the
scan run under fixed workflow ids, so a second `winback demo` finds them done and moves on.
The models are trained on slices of the shipped labelled data to keep the demo quick on a
small machine; `winback model train` / `winback train risk` train on everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.risk.registry import RISK
from classifiers.risk.training import train_and_register, training_set
from classifiers.text.candidate import train_candidate
from classifiers.text.data import read_labelled_csv
from playbooks.taxonomy import load_taxonomy
from winback.commands.detect import ensure_scan_schedule
from winback.commands.digest import ensure_digest_schedule
from winback.commands.listen import ensure_listen_schedule
from winback.demo.customers import TELCO
from winback.demo.feedback import BANKING77, BITEXT, CFPB
from winback.runtime import Runtime
from winback.settings import load_detection_rules
from workflows.listen import ListenInput, ListenResult, ListenWorkflow
from workflows.scan import ScanInput, ScanResult, ScanWorkflow

Progress = Callable[[str], None]
DEMO_LISTEN_ID = "winback-demo-listen"
DEMO_SCAN_ID = "winback-demo-scan"

# (file, text column, label column, preset, keep every n-th row)
TEXT_TRAINING = [
    (BANKING77, "text", "category", "banking77", 4),
    (BITEXT, "utterance", "intent", "bitext", 8),
    (CFPB, "Consumer complaint narrative", "Issue", "cfpb", 2),
]


@dataclass(frozen=True)
class ModelStep:
    kind: str
    version: str
    trained: bool  # False: a live model was already there


def train_text_model(runtime: Runtime) -> ModelStep:
    """A live category model: trained on slices of BANKING77, Bitext and CFPB, then promoted."""
    registry = ModelRegistry(runtime.sessions, runtime.settings.models_dir)
    live = registry.live(CATEGORY)
    if live is not None:
        return ModelStep(CATEGORY, live.version, trained=False)
    texts: list[str] = []
    labels: list[str] = []
    for path, text_col, label_col, preset, every in TEXT_TRAINING:
        rows = read_labelled_csv(path, text_col, label_col, preset)
        texts += rows.texts[::every]
        labels += rows.labels[::every]
    result = train_candidate(
        runtime.sessions,
        runtime.settings.models_dir,
        load_taxonomy(runtime.settings.taxonomy_path),
        texts,
        labels,
        source="demo: BANKING77/4 + Bitext/8 + CFPB/2 (winback/sample_data)",
    )
    registry.promote(CATEGORY, result.version)
    return ModelStep(CATEGORY, result.version, trained=True)


def train_risk_model(runtime: Runtime) -> ModelStep:
    """A live at-risk model from the Telco table's columns and its Churn label."""
    registry = ModelRegistry(runtime.sessions, runtime.settings.models_dir)
    live = registry.live(RISK)
    if live is not None:
        return ModelStep(RISK, live.version, trained=False)
    data = training_set(
        TELCO,
        runtime.sessions,
        load_detection_rules(runtime.settings),
        datetime.now(UTC),
        id_column="customerID",
        label_column="Churn",
    )
    version, _model = train_and_register(data, runtime.sessions, runtime.settings.models_dir, TELCO)
    return ModelStep(RISK, version, trained=True)


async def _run_once(client: Client, run: object, arg: object, workflow_id: str, queue: str) -> Any:
    """Run a workflow under a fixed id unless it already ran (or runs): its result, or None."""
    handle: WorkflowHandle[Any, Any]
    try:
        handle = await client.start_workflow(
            run,  # type: ignore[arg-type]
            arg,
            id=workflow_id,
            task_queue=queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
    except WorkflowAlreadyStartedError:
        return None
    return await handle.result()


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"


async def run_demo_workflows(runtime: Runtime, client: Client, progress: Progress) -> None:
    """On the running stack: schedules, risk model, scan (rescues), text model, listening."""
    # Training runs on its own thread, not asyncio's default pool: Ctrl-C must not wait for it.
    training = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-training")
    try:
        await _demo_workflows(runtime, client, progress, training)
    finally:
        training.shutdown(wait=False, cancel_futures=True)


async def _demo_workflows(
    runtime: Runtime, client: Client, progress: Progress, training: ThreadPoolExecutor
) -> None:
    """Each step reports its own failure, so one broken step leaves the others to run."""
    settings, queue = runtime.settings, runtime.settings.task_queue
    loop = asyncio.get_running_loop()

    async def schedules() -> str:
        await ensure_scan_schedule(client, settings)
        await ensure_listen_schedule(client, settings)
        await ensure_digest_schedule(client, settings)
        return "schedules: scan (cron), listening (interval) and weekly digest are set"

    async def risk_then_scan() -> str:
        risk = await loop.run_in_executor(training, train_risk_model, runtime)
        progress(f"risk model {risk.version}: {'trained on Telco' if risk.trained else 'live'}")
        scan: ScanResult | None = await _run_once(
            client, ScanWorkflow.run, ScanInput(), DEMO_SCAN_ID, queue
        )
        if scan is None:
            return "scan: already ran for this demo"
        return (
            f"scan of {scan.customers} customers: flagged {_counts(scan.flagged)}; "
            f"{scan.started} rescues started (pipeline page, tasks outbox)"
        )

    async def text_then_listen() -> str:
        if ModelRegistry(runtime.sessions, settings.models_dir).live(CATEGORY) is None:
            progress("training the text model (about a minute on 2 cores)...")
        text = await loop.run_in_executor(training, train_text_model, runtime)
        progress(f"text model {text.version}: {'trained' if text.trained else 'already live'}")
        heard: ListenResult | None = await _run_once(
            client, ListenWorkflow.run, ListenInput(), DEMO_LISTEN_ID, queue
        )
        if heard is None:
            return "listening: already ran for this demo"
        spikes = ", ".join(heard.spikes) or "none"
        return (
            f"listening: {heard.classified} feedback items classified "
            f"({heard.needs_review} for review); spikes: {spikes} (listening page)"
        )

    failed = 0
    for name, step in (
        ("schedules", schedules),
        ("scan", risk_then_scan),
        ("listening", text_then_listen),
    ):
        try:
            progress(await step())
        except Exception as exc:  # shown to the person; the stack and later steps go on
            failed += 1
            progress(f"[red]{name} step failed[/red]: {type(exc).__name__}: {exc}")
    if failed:
        raise RuntimeError(f"{failed} demo step(s) failed; see the messages above")
