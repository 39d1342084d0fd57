"""Settings read WINBACK_* variables and never reveal secrets in repr, str, logs or the CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from winback.cli import build_app
from winback.settings import Settings, get_settings

SECRET = "xoxb-very-secret-token-123"


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINBACK_TASK_QUEUE", "q-test")
    monkeypatch.setenv("WINBACK_SLACK_BOT_TOKEN", SECRET)
    settings = Settings()
    assert settings.task_queue == "q-test"
    assert settings.slack_enabled()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == SECRET


def test_slack_disabled_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WINBACK_SLACK_BOT_TOKEN", raising=False)
    assert not Settings(_env_file=None).slack_enabled()  # type: ignore[call-arg]


def test_secrets_never_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        slack_bot_token=SECRET,  # type: ignore[arg-type]
        slack_signing_secret=SECRET,  # type: ignore[arg-type]
        api_token=SECRET,  # type: ignore[arg-type]
    )
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("winback").info("settings: %s / %r", settings, settings)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in settings.model_dump_json()
    assert SECRET not in caplog.text


def test_config_command_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("WINBACK_SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))
    from winback.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(build_app(), ["config"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "slack_bot_token" in result.output
    assert SECRET not in result.output


def test_the_data_dir_holds_the_store_unless_a_url_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WINBACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path / "state"))
    expected = f"sqlite:///{tmp_path / 'state' / 'winback.db'}"
    assert Settings(_env_file=None).database_url == expected  # type: ignore[call-arg]
    monkeypatch.setenv("WINBACK_DATABASE_URL", "postgresql://winback@db/winback")
    assert Settings(_env_file=None).database_url == "postgresql://winback@db/winback"  # type: ignore[call-arg]


def test_a_model_trained_from_one_folder_is_listed_from_another(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With only WINBACK_DATA_DIR set, the registry and its model files move together."""
    monkeypatch.delenv("WINBACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path / "state"))
    data = tmp_path / "train.csv"
    rows = [f"where is my new card {i},card_delivery_and_activation" for i in range(6)]
    rows += [f"my transfer {i} has not arrived,payments_and_transfers" for i in range(6)]
    data.write_text("text,label\n" + "\n".join(rows) + "\n")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    get_settings.cache_clear()
    try:
        monkeypatch.chdir(tmp_path / "a")
        trained = CliRunner().invoke(build_app(), ["model", "train", "--data", str(data)])
        assert trained.exit_code == 0, trained.output
        monkeypatch.chdir(tmp_path / "b")
        get_settings.cache_clear()
        listed = CliRunner().invoke(build_app(), ["model", "list"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0 and "candidate" in listed.output, listed.output
    assert (tmp_path / "state" / "winback.db").is_file()
    assert not (tmp_path / "a" / ".winback").exists()
