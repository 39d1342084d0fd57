"""WINBACK_DETECTION_RULES: the worker's scan uses the configured rules file, and a missing
or invalid one stops the worker and the commands at start, naming the variable, the file and
the YAML field."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from classifiers.risk.rules import DEFAULT_RULES_PATH
from store.models import Customer, Flag
from tests.support.detect_data import AS_OF, scan_store
from winback.cli import build_app
from winback.runtime import Runtime
from winback.settings import SettingError, Settings, get_settings
from winback.worker import activity_callables, build_worker
from workflows.scan import ScanInput, ScanWorkflow

WINBACK = Path(sys.executable).parent / "winback"
TELCO = Path(__file__).resolve().parents[1] / "winback/sample_data/telco/telco_churn_train.csv"


def rules_file(tmp_path: Path, **at_risk: object) -> Path:
    """The shipped rules with some at-risk thresholds changed."""
    rules = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    rules["defaults"]["at_risk"].update(at_risk)
    path = tmp_path / f"rules-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    return path


async def scan_flags(client: Client, runtime: Runtime) -> dict[str, str]:
    """One scan on a worker built as `winback worker` builds it: customer -> flag kind."""
    queue = f"rules-{uuid.uuid4()}"
    async with build_worker(runtime, client, task_queue=queue, workflows=[ScanWorkflow]):
        result = await client.execute_workflow(
            ScanWorkflow.run,
            ScanInput(as_of=AS_OF.isoformat(), start_rescues=False, activity_timeout_seconds=60),
            id=f"scan-{uuid.uuid4()}",
            task_queue=queue,
        )
    with runtime.sessions() as session:
        rows = session.execute(
            select(Customer.external_id, Flag.kind)
            .join(Flag, Flag.customer_id == Customer.id)
            .where(Flag.scan_id == result.scan_id)
        ).all()
    return {name: kind for name, kind in rows}


def runtime_with(engine: Engine, sessions: sessionmaker[Session], **fields: object) -> Runtime:
    return Runtime(Settings(scan_processes=1, **fields), engine, sessions)  # type: ignore[arg-type]


async def test_a_custom_rules_file_changes_what_the_rules_fallback_flags(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    scan_store(sqlite_sessions)
    # Three failed payments needed instead of two: the failing payer is no longer at risk.
    stricter = rules_file(tmp_path, payment_failures_min=3)
    custom = runtime_with(
        sqlite_engine, sqlite_sessions, data_dir=tmp_path, detection_rules=stricter
    )
    shipped = runtime_with(sqlite_engine, sqlite_sessions, data_dir=tmp_path)

    with_custom = await scan_flags(temporal_client, custom)
    with_shipped = await scan_flags(temporal_client, shipped)

    assert with_shipped == {"failing-payer": "at_risk", "lapsed-1": "lapsed", "cancelled-1": "lost"}
    assert with_custom == {"lapsed-1": "lapsed", "cancelled-1": "lost"}


def test_a_bad_rules_file_names_the_variable_the_file_and_the_field(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    client: Client = None  # type: ignore[assignment]  # never reached: rules are checked first
    bad = rules_file(tmp_path, flag_probability=2)
    runtime = runtime_with(sqlite_engine, sqlite_sessions, data_dir=tmp_path, detection_rules=bad)
    with pytest.raises(SettingError) as caught:
        activity_callables(runtime, client)
    message = str(caught.value)
    assert message.startswith(f"WINBACK_DETECTION_RULES: {bad}: invalid detection rules")
    assert "defaults.at_risk.flag_probability" in message

    missing = tmp_path / "nowhere.yaml"
    runtime = runtime_with(
        sqlite_engine, sqlite_sessions, data_dir=tmp_path, detection_rules=missing
    )
    with pytest.raises(SettingError, match=rf"WINBACK_DETECTION_RULES: {missing}: cannot read"):
        activity_callables(runtime, client)


def test_winback_worker_stops_at_start_on_a_missing_rules_file(
    temporal_env: WorkflowEnvironment, tmp_path: Path, sqlite_url: str
) -> None:
    missing = tmp_path / "rules-typo.yaml"
    env = {
        **os.environ,
        "WINBACK_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "WINBACK_TASK_QUEUE": str(uuid.uuid4()),
        "WINBACK_DATA_DIR": str(tmp_path / "state"),
        "WINBACK_DATABASE_URL": sqlite_url,
        "WINBACK_DETECTION_RULES": str(missing),
        "COLUMNS": "300",
    }
    result = subprocess.run(
        [str(WINBACK), "worker"], env=env, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"error: WINBACK_DETECTION_RULES: {missing}: cannot read detection rules" in output
    assert "Traceback" not in output


def test_train_risk_refuses_an_invalid_rules_file(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("defaults:\n  lapse:\n    silence_ration: 2\n", encoding="utf-8")
    monkeypatch.setenv("WINBACK_DETECTION_RULES", str(bad))
    get_settings.cache_clear()
    result = cli.invoke(build_app(), ["train", "risk", "--labels", str(TELCO)])
    assert result.exit_code == 2
    assert f"error: WINBACK_DETECTION_RULES: {bad}: invalid detection rules" in result.output
    assert "defaults.lapse.silence_ration" in result.output
