"""docs/configuration.md, generated from the Settings model so the table cannot drift.

    .venv/bin/python -m winback.settings_doc > docs/configuration.md

A test regenerates it and compares. Meanings come from each field's `description`; the few
fields declared without one are explained in UNDESCRIBED below until they get one.
"""

from __future__ import annotations

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from winback.settings import Settings

UNDESCRIBED = {
    "temporal_namespace": "Temporal namespace winback's workflows run in.",
    "task_queue": "Task queue the worker polls and workflows are started on.",
    "web_host": "Interface the dashboard listens on (0.0.0.0 in a container).",
    "web_port": "Port the dashboard listens on.",
    "slack_signing_secret": "Slack app signing secret; verifies interactivity requests.",
    "slack_leaders_channel": "Channel for leaders' summaries and spike alerts.",
    "slack_ops_channel": "Channel for operational notices (failures, model changes).",
    "leader_token": "Bearer token for the leaders' dashboard pages.",
    "ops_token": "Bearer token for the operations pages (review, models).",
    "listen_every_minutes": "How often the listening workflow classifies new feedback.",
}

HEADER = """# Configuration

winback reads every setting from `WINBACK_*` environment variables (or a `.env` file in the
working directory). `winback config` prints the values in force with secrets masked.
Secrets are never put into workflow inputs, so they never show in Temporal's history or UI.

This file is generated from `winback/settings.py`:
`.venv/bin/python -m winback.settings_doc > docs/configuration.md` (a test checks it).

| variable | default | meaning |
|---|---|---|
"""

FOOTER = """
Notes:
- With `WINBACK_TEMPORAL_ADDRESS` empty, `winback up` starts the Temporal dev server on
  `127.0.0.1:WINBACK_TEMPORAL_PORT` with its state in `WINBACK_DATA_DIR/temporal.db`.
- `WINBACK_DATABASE_URL` takes any SQLAlchemy URL; `postgresql://` uses psycopg 3.
- Unset, `WINBACK_DATABASE_URL` is SQLite at `WINBACK_DATA_DIR/winback.db`, so one variable
  moves all local state. Until December 2026 it stayed at `./.winback/winback.db` whatever
  `WINBACK_DATA_DIR` said: if you had set the data dir, move that file into it (or set
  `WINBACK_DATABASE_URL` to the old file).
- In docker-compose the connection settings are set by `docker-compose.yml`, the secrets by
  `deploy/winback.env` (see `deploy/winback.env.example` and docs/deployment.md).
"""


def _default(info: FieldInfo) -> str:
    value = info.get_default(call_default_factory=True)
    if value is PydanticUndefined or value is None or value == "":
        return "(unset)"
    return f"`{value}`"


def meaning(name: str, info: FieldInfo) -> str:
    text = info.description or UNDESCRIBED.get(name)
    if not text:
        raise ValueError(f"setting {name!r} has no description: add one in winback/settings.py")
    secret = " Secret: masked in logs and `winback config`." if _is_secret(info) else ""
    return text + secret


def _is_secret(info: FieldInfo) -> bool:
    return "SecretStr" in str(info.annotation)


def render() -> str:
    rows = [
        f"| `WINBACK_{name.upper()}` | {_default(info)} | {meaning(name, info)} |"
        for name, info in Settings.model_fields.items()
    ]
    return HEADER + "\n".join(rows) + "\n" + FOOTER


if __name__ == "__main__":
    print(render(), end="")
