"""Runtime settings, read once from WINBACK_* environment variables and an optional .env.

Secrets are SecretStr so they never show in repr, logs or error messages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from classifiers.risk.rules import DetectionRules


class Settings(BaseSettings):
    """Every knob winback reads from its environment; defaults run the embedded stack."""

    model_config = SettingsConfigDict(
        env_prefix="WINBACK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path(".winback"), description="Local state: SQLite files, models, logs.")
    database_url: str = Field(
        "", description="SQLAlchemy URL of the store; empty: SQLite, winback.db in the data dir."
    )
    temporal_address: str | None = Field(
        None, description="host:port of Temporal; empty starts the embedded dev server."
    )
    temporal_namespace: str = "default"
    task_queue: str = "winback"
    temporal_port: int = Field(7233, description="Port of the embedded dev server.")
    temporal_ui_port: int = Field(8233, description="Port of the embedded dev server's UI.")
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    public_url: str = Field("http://127.0.0.1:8000", description="Dashboard URL used in links.")
    slack_bot_token: SecretStr | None = Field(None, description="Bot token; unset uses the outbox.")
    slack_signing_secret: SecretStr | None = None
    slack_base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    slack_leaders_channel: str = "#customer-room"
    slack_ops_channel: str = "#winback-ops"
    api_token: SecretStr | None = Field(None, description="Bearer token for the ingestion API.")
    leader_token: SecretStr | None = None
    ops_token: SecretStr | None = Field(
        None, description="Bearer token for the operations pages (review, models)."
    )
    member_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Account members\' dashboard tokens as JSON, handle -> token: {"ana": "t1"}.',
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Key that signs dashboard sign-in cookies; set the same value on every web "
        "replica so a session works on all of them and survives restarts. Unset: a random key "
        "per process.",
    )
    playbook_path: Path | None = Field(None, description="Rescue playbook YAML; default shipped.")
    taxonomy_path: Path | None = Field(None, description="Taxonomy YAML; default shipped.")
    detection_rules: Path | None = Field(
        None,
        description="Detection rules YAML (the scan's thresholds and activity kinds); default "
        "the shipped playbooks/detection_rules.yaml. Checked when the worker or a command "
        "starts.",
    )
    scan_cron: str = Field("0 6 * * *", description="Cron of the defector scan schedule.")
    scan_processes: int = Field(
        0,
        ge=0,
        description="Processes that score scan partitions: 0 = one per CPU core, 1 = the "
        "worker's own threads.",
    )
    listen_every_minutes: int = 15
    keep_original_text: bool = Field(False, description="Store unredacted feedback text too.")

    @model_validator(mode="after")
    def _store_beside_the_other_state(self) -> Settings:
        """Unset, the store is SQLite in data_dir, so WINBACK_DATA_DIR moves all local state
        together (a registry left in the working directory lost track of its model files)."""
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'winback.db'}"
        return self

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and bool(self.slack_bot_token.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use (never at import time)."""
    return Settings()


class SettingError(ValueError):
    """A setting whose value cannot be used; the message names the variable first."""


def detection_rules_path(settings: Settings) -> Path:
    """The detection rules file in force: WINBACK_DETECTION_RULES, else the shipped one."""
    from classifiers.risk.rules import DEFAULT_RULES_PATH

    return settings.detection_rules or DEFAULT_RULES_PATH


def load_detection_rules(settings: Settings) -> DetectionRules:
    """The rules in force, validated, so a missing or bad file stops a worker or command at
    start with the variable, the file and the YAML field named (not a scan hours later)."""
    from classifiers.risk.rules import load_rules

    try:
        return load_rules(detection_rules_path(settings))
    except ValueError as exc:
        raise SettingError(f"WINBACK_DETECTION_RULES: {exc}") from None
