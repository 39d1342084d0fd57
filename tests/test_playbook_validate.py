"""The playbook schema and `winback playbook validate`: typos fail with their YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from playbooks.loader import DEFAULT_PLAYBOOK, PlaybookError, load_playbook, resolve_plan
from playbooks.schema import parse_duration
from winback.cli import build_app


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def default_data() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))


def test_shipped_playbook_is_valid_and_covers_the_four_steps() -> None:
    playbook = load_playbook()
    for scenario in playbook.scenarios.values():
        assert scenario.steps.probe.fields[0].name == "verbatim"
        assert "sorry" in scenario.steps.initiate.script.lower()
        assert "help" in scenario.steps.offer.script.lower()
        assert "thank" in scenario.steps.close.script.lower()
    result = CliRunner().invoke(build_app(), ["playbook", "validate", str(DEFAULT_PLAYBOOK)])
    assert result.exit_code == 0, result.output
    assert "version 2026.1" in result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["scenarios"]["at_risk"]["timings"].update(remind_after="PT1H"),
            "scenarios.at_risk.timings.remind_after: Extra inputs are not permitted",
        ),
        (
            lambda d: d["scenarios"]["lapsed"]["timings"].update(give_up_after="P2X"),
            "scenarios.lapsed.timings.give_up_after: Value error, 'P2X' is not an ISO 8601",
        ),
        (
            lambda d: d["scenarios"]["at_risk"]["steps"].pop("probe"),
            "scenarios.at_risk.steps.probe: Field required",
        ),
        (
            lambda d: d["offers"][1]["eligibility"].update(min_value=-5),
            "offers[1].eligibility.min_value: Input should be greater than or equal to 0",
        ),
        (lambda d: d["scenarios"].pop("lapsed"), "scenarios missing: ['lapsed']"),
        (
            lambda d: d["assignment"].update(strategy="random"),
            "assignment.strategy: Input should be 'round_robin' or 'least_loaded'",
        ),
        (
            lambda d: d["scenarios"]["at_risk"]["timings"].update(escalate_after=1),
            "reminder_after <= escalate_after <= give_up_after",
        ),
    ],
)
def test_validate_reports_yaml_path_of_each_problem(tmp_path: Path, edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = default_data()
    edit(data)
    path = write(tmp_path, data)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    result = CliRunner().invoke(build_app(), ["playbook", "validate", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output and expected in result.output


def test_unreadable_and_non_yaml_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read"):
        load_playbook(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(PlaybookError, match="not valid YAML"):
        load_playbook(bad)


def test_durations_accept_seconds_and_iso() -> None:
    assert parse_duration(90) == 90.0
    assert parse_duration("PT4H") == 4 * 3600
    assert parse_duration("P1DT12H") == 36 * 3600
    assert parse_duration("P1W") == 7 * 86400
    for bad in ("P", "PT", "4h", 0, -3, True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_plan_resolves_segment_override_and_offer_eligibility() -> None:
    playbook = load_playbook()
    enterprise = resolve_plan(playbook, "at_risk", "enterprise", 9000.0, ["Billing dispute"])
    assert enterprise.timings.reminder_after == 2 * 3600  # segment override
    assert enterprise.timings.give_up_after == 10 * 86400  # scenario default kept
    assert [o.id for o in enterprise.offers] == [
        "service_review",
        "billing_credit",
        "executive_sponsor",
    ]
    small = resolve_plan(playbook, "at_risk", "smb", 50.0, ["usage dropped"])
    assert [o.id for o in small.offers] == ["service_review", "plan_downgrade"]
    lapsed = resolve_plan(playbook, "lapsed", "smb", 50.0, [])
    assert [o.id for o in lapsed.offers] == ["service_review", "welcome_back"]
    assert lapsed.timings.reminder_after == 86400
    with pytest.raises(ValueError, match="unknown scenario"):
        resolve_plan(playbook, "churned", "smb", 1.0, [])
