"""The winback worker: every workflow class and activity, on the configured task queue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from winback.runtime import Runtime
from winback.settings import detection_rules_path, load_detection_rules

# The SDK sends heartbeat details at most every 0.8 x heartbeat timeout, capped by this: a
# training activity's progress note (activities/heartbeat.py) reaches the UI within 10 s
# instead of up to 48 s at the default 60 s timeout. Liveness is unchanged.
HEARTBEAT_THROTTLE = timedelta(seconds=10)


def workflow_classes() -> list[type]:
    """All workflows the worker runs. Add new workflow classes here."""
    from workflows.digest import DigestWorkflow
    from workflows.listen import ListenWorkflow
    from workflows.rescue import RescueWorkflow
    from workflows.retrain import RetrainWorkflow
    from workflows.scan import ScanWorkflow

    return [RescueWorkflow, ScanWorkflow, ListenWorkflow, RetrainWorkflow, DigestWorkflow]


def activity_callables(runtime: Runtime, client: Client) -> list[Callable[..., Any]]:
    """All activities, built with their dependencies. Add new activity classes here."""
    from activities.digest import digest_activities
    from activities.listen import listening_activities
    from activities.rescue_registry import rescue_activities
    from activities.scan import scan_activities
    from activities.scan_processes import default_processes

    load_detection_rules(runtime.settings)  # a bad WINBACK_DETECTION_RULES stops the worker here
    return [
        *rescue_activities(runtime.settings, runtime.sessions, client),
        *listening_activities(runtime.settings, runtime.sessions),
        *scan_activities(
            runtime.sessions,
            rules_path=detection_rules_path(runtime.settings),
            processes=runtime.settings.scan_processes or default_processes(),
            database_url=runtime.settings.database_url,
        ),
        *digest_activities(runtime.settings, runtime.sessions),
    ]


def build_worker(
    runtime: Runtime,
    client: Client,
    task_queue: str | None = None,
    workflows: Sequence[type] | None = None,
    activities: Sequence[Callable[..., Any]] | None = None,
) -> Worker:
    """A worker on `task_queue` (default: the configured one) with everything registered."""
    return Worker(
        client,
        task_queue=task_queue or runtime.settings.task_queue,
        workflows=list(workflows if workflows is not None else workflow_classes()),
        activities=list(
            activities if activities is not None else activity_callables(runtime, client)
        ),
        activity_executor=ThreadPoolExecutor(max_workers=8),
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
    )
