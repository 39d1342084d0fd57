"""The worker's side of a rescue's plan: resolved from the playbook the worker is configured
with, for a rescue whose start named the playbook instead of carrying the plan.

The starter names its playbook by version and digest. When the worker's copy has another
digest, the rescue is refused (non-retryable) before anything is written: a rescue never
runs a playbook other than the one its starter checked the scenario against.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.exceptions import ApplicationError

from playbooks.loader import DEFAULT_PLAYBOOK, current_playbook, playbook_digest, resolve_plan
from playbooks.schema import Playbook
from workflows.rescue_messages import RescueInput
from workflows.rescue_plan import RescuePlan


class WorkerPlaybook:
    """The playbook at the worker's configured path, re-read when the file changes."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        playbook = current_playbook(path)  # a typo fails when the worker starts
        # One tuple, swapped whole: activity threads read it without a lock.
        self._known: tuple[Playbook, str] = (playbook, playbook_digest(playbook))

    def current(self) -> tuple[Playbook, str]:
        playbook = current_playbook(self._path)
        known = self._known
        if playbook is not known[0]:  # the file changed since: fingerprint the new copy
            known = self._known = (playbook, playbook_digest(playbook))
        return known

    def plan_for(self, workflow_id: str, inp: RescueInput) -> RescuePlan:
        """The plan for this rescue, or PlaybookMismatch when the starter saw another copy."""
        playbook, digest = self.current()
        if inp.playbook_digest != digest:
            raise ApplicationError(
                f"{workflow_id} was started with playbook {inp.playbook_version!r} (digest "
                f"{inp.playbook_digest or 'none'}), but this worker has playbook "
                f"{playbook.version!r} (digest {digest}) from {self._path or DEFAULT_PLAYBOOK}: "
                "give starters (CLI, API, scan) and workers the same WINBACK_PLAYBOOK_PATH, "
                "then start the rescue again",
                type="PlaybookMismatch",
                non_retryable=True,
            )
        return resolve_plan(
            playbook, inp.scenario, inp.segment, inp.value_per_year, list(inp.reasons), inp.team
        )
