"""RetrainWorkflow: train a candidate category model, promote it only if it is not worse.

The candidate and the live model face the same fixed gold set; the candidate goes live when
its macro-F1 is at least the live model's minus `margin`, else it stays a rejected candidate.
Bad training data fails the training activity for good and ops are told; the live model is
untouched. Activities are called by name so this module imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

T = TypeVar("T")


@dataclass(frozen=True)
class LabelledFile:
    """A CSV of texts and their categories (mapped by a preset when it uses other labels)."""

    path: str
    text_column: str = "text"
    label_column: str = "label"
    preset: str | None = None


@dataclass(frozen=True)
class RetrainInput:
    data: LabelledFile
    gold: LabelledFile
    margin: float = 0.01  # promote unless macro-F1 is worse than live by more than this
    include_reviewed: bool = True  # add feedback people labelled in review
    activity_timeout_seconds: float = 1800.0  # raise it for distilled/encoder: minutes per 1k texts
    # Training and scoring heartbeat their progress; a worker silent this long is taken for
    # dead and the activity is retried elsewhere, long before activity_timeout_seconds.
    heartbeat_timeout_seconds: float = 60.0
    route: str = "linear"  # distilled or encoder need the embeddings-train extra on the worker
    encoder: str = ""  # a sentence-encoder folder on the worker to fine-tune instead of MiniLM


@dataclass(frozen=True)
class TrainRequest:
    data: LabelledFile
    include_reviewed: bool = True
    route: str = "linear"
    request_id: str = ""  # workflow id/run id: a retried attempt reuses what an earlier registered
    encoder: str = ""


@dataclass(frozen=True)
class Candidate:
    version: str
    examples: int
    reviewed_examples: int = 0


@dataclass(frozen=True)
class EvaluateRequest:
    candidate_version: str
    gold: LabelledFile


@dataclass(frozen=True)
class Evaluation:
    candidate_version: str
    candidate_macro_f1: float
    live_version: str | None
    live_macro_f1: float | None
    gold_examples: int


@dataclass(frozen=True)
class Verdict:
    candidate_version: str
    promote: bool
    reason: str


@dataclass(frozen=True)
class OpsNote:
    text: str


@dataclass(frozen=True)
class RetrainResult:
    status: str  # "promoted" | "rejected" | "failed"
    candidate_version: str | None = None
    candidate_macro_f1: float | None = None
    live_version: str | None = None  # the live model the candidate was compared with
    live_macro_f1: float | None = None
    reason: str = ""


def judge(evaluation: Evaluation, margin: float) -> Verdict:
    """Promote when there is no live model or the candidate is not worse by more than margin."""
    candidate = evaluation.candidate_macro_f1
    if evaluation.live_macro_f1 is None:
        return Verdict(evaluation.candidate_version, True, "no live model yet")
    floor = evaluation.live_macro_f1 - margin
    compared = (
        f"macro-F1 {candidate:.4f} vs live {evaluation.live_version} "
        f"{evaluation.live_macro_f1:.4f} (margin {margin:.4f})"
    )
    if candidate >= floor:
        return Verdict(evaluation.candidate_version, True, compared)
    return Verdict(evaluation.candidate_version, False, "worse: " + compared)


@workflow.defn
class RetrainWorkflow:
    def __init__(self) -> None:
        self._timeout = timedelta(minutes=30)
        self._heartbeat: timedelta | None = None

    async def _call(
        self, activity: str, arg: object, result_type: type[T], heartbeats: bool = False
    ) -> T:
        """One retraining activity by name, with the run's timeouts and bounded retries."""
        return await workflow.execute_activity(
            activity,
            arg,
            result_type=result_type,
            start_to_close_timeout=self._timeout,
            heartbeat_timeout=self._heartbeat if heartbeats else None,
            retry_policy=RetryPolicy(maximum_attempts=3, maximum_interval=timedelta(minutes=1)),
        )

    @workflow.run
    async def run(self, params: RetrainInput) -> RetrainResult:
        self._timeout = timedelta(seconds=params.activity_timeout_seconds)
        if params.heartbeat_timeout_seconds > 0:
            self._heartbeat = timedelta(seconds=params.heartbeat_timeout_seconds)
        candidate: Candidate | None = None
        try:
            candidate = await self._call(
                "retrain_train_candidate",
                TrainRequest(
                    params.data,
                    params.include_reviewed,
                    params.route,
                    request_id=f"{workflow.info().workflow_id}/{workflow.info().run_id}",
                    encoder=params.encoder,
                ),
                Candidate,
                heartbeats=True,
            )
            evaluation = await self._call(
                "retrain_evaluate",
                EvaluateRequest(candidate.version, params.gold),
                Evaluation,
                heartbeats=True,
            )
        except ActivityError as err:
            cause = err.cause
            if not isinstance(cause, ApplicationError) or cause.type != "BadTrainingData":
                raise
            version = candidate.version if candidate else None
            if version is not None:  # the gold file was bad: keep the candidate out of use
                refused = Verdict(version, False, cause.message)
                await self._call("retrain_apply_verdict", refused, str)
            await self._notify(f"Retraining failed, live model kept: {cause.message}")
            return RetrainResult("failed", candidate_version=version, reason=cause.message)

        verdict = judge(evaluation, params.margin)
        await self._call("retrain_apply_verdict", verdict, str)
        status = "promoted" if verdict.promote else "rejected"
        await self._notify(
            f"Category model {candidate.version} {status} "
            f"({candidate.examples} training examples, {evaluation.gold_examples} gold): "
            f"{verdict.reason}"
        )
        return RetrainResult(
            status=status,
            candidate_version=candidate.version,
            candidate_macro_f1=evaluation.candidate_macro_f1,
            live_version=evaluation.live_version,
            live_macro_f1=evaluation.live_macro_f1,
            reason=verdict.reason,
        )

    async def _notify(self, text: str) -> None:
        await self._call("retrain_notify_ops", OpsNote(text), str)
