"""`winback ingest`: reports counts, re-runs change nothing, bad files exit 2 with each error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from store.models import ActivityEvent
from winback.cli import build_app

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(build_app(), ["ingest", *args])
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())  # unwrap whatever the terminal width did


def test_ingest_reports_counts_and_is_idempotent(cli: CliRunner, sqlite_url: str) -> None:
    out = run(cli, "customers", str(FIXTURES / "customers.csv"))
    assert "3 customers rows: 3 inserted, 0 updated, 0 unchanged" in out
    out = run(cli, "events", str(FIXTURES / "events.jsonl"))
    assert "2 events rows: 2 inserted, 0 updated, 0 unchanged" in out
    out = run(cli, "customers", str(FIXTURES / "customers.csv"))
    assert "3 customers rows: 0 inserted, 0 updated, 3 unchanged" in out
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ActivityEvent)) == 2
    engine.dispose()


def test_explicit_format_overrides_the_extension(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "customers.txt"
    path.write_text('{"external_id": "C-1", "name": "Acme"}\n')
    run(cli, "customers", str(path), code=2)  # .txt: the format cannot be guessed
    assert "1 inserted" in run(cli, "customers", str(path), "--format", "jsonl")


def test_bad_file_exits_2_and_prints_every_error(cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "customers", str(FIXTURES / "customers.csv"))
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_external_id,occurred_at,kind,amount\n"
        "C-001,2024-01-01,purchase,12\n"
        "C-404,2024-01-02,purchase,abc\n"
        "C-001,yesterday,refund,1\n"
    )
    out = run(cli, "events", str(path), code=2)
    assert f"rejected {path}: 4 error(s); nothing was written" in out
    assert f"{path}, row 2, line 3, field 'customer_external_id': unknown customer 'C-404'" in out
    assert f"{path}, row 2, line 3, field 'amount': 'abc' is not a number" in out
    assert f"{path}, row 3, line 4, field 'occurred_at': 'yesterday' is not a date-time" in out
    assert f"{path}, row 3, line 4, field 'kind': 'refund' is not one of: purchase" in out


def test_the_installed_command_exits_2_on_a_bad_file(tmp_path: Path, sqlite_url: str) -> None:
    """Through the real `winback` entry point (os._exit path), not only CliRunner."""
    path = tmp_path / "customers.csv"
    path.write_text("external_id,name\nC-1,\n")
    env = {**os.environ, "WINBACK_DATA_DIR": str(tmp_path), "WINBACK_DATABASE_URL": sqlite_url}
    winback = Path(sys.executable).parent / "winback"
    done = subprocess.run(
        [str(winback), "ingest", "customers", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "row 1, line 2, field 'name': is required but missing or empty" in done.stderr
