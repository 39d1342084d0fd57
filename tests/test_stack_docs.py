"""The configuration reference is generated from Settings and must match it."""

from __future__ import annotations

from pathlib import Path

from winback.settings import Settings
from winback.settings_doc import render

DOCS = Path(__file__).resolve().parent.parent / "docs"
ROOT = DOCS.parent
WORKFLOWS = sorted(
    line.split()[1].rstrip(":(")
    for path in (ROOT / "workflows").glob("*.py")
    for line in path.read_text().splitlines()
    if line.startswith("class ") and line.split()[1].rstrip(":(").endswith("Workflow")
)


def test_configuration_doc_is_up_to_date() -> None:
    assert (DOCS / "configuration.md").read_text() == render(), (
        "docs/configuration.md is stale: run "
        "`.venv/bin/python -m winback.settings_doc > docs/configuration.md`"
    )


def test_every_setting_has_a_row_with_its_default() -> None:
    text = render()
    for name, info in Settings.model_fields.items():
        row = next(line for line in text.splitlines() if f"`WINBACK_{name.upper()}`" in line)
        default = info.get_default(call_default_factory=True)
        if default in (None, ""):
            assert "(unset)" in row
        else:
            assert f"`{default}`" in row
        if "SecretStr" in str(info.annotation):
            assert "Secret" in row


def test_architecture_doc_names_every_workflow() -> None:
    text = (DOCS / "architecture.md").read_text()
    assert len(WORKFLOWS) >= 4
    for workflow in WORKFLOWS:
        assert workflow in text
    assert "```mermaid" in text
