"""`winback playbook validate [FILE]`: check a rescue playbook before any rescue uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from playbooks.loader import DEFAULT_PLAYBOOK, PlaybookError, load_playbook

playbook_app = typer.Typer(help="Rescue playbooks: the conversation scripts, offers, timings.")


@playbook_app.command("validate")
def validate(
    file: Annotated[
        Path | None, typer.Argument(help="Playbook YAML (default: the configured or shipped one).")
    ] = None,
) -> None:
    """Validate a playbook; errors are printed with their YAML path, exit status 2."""
    if file is None:
        from winback.settings import get_settings

        file = get_settings().playbook_path or DEFAULT_PLAYBOOK
    try:
        playbook = load_playbook(file)
    except PlaybookError as exc:
        typer.echo(f"{exc.path}: {len(exc.problems)} problem(s)", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from None
    scenarios = ", ".join(sorted(playbook.scenarios))
    typer.echo(
        f"ok: {file} version {playbook.version} ({scenarios}; {len(playbook.offers)} offers)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(playbook_app, name="playbook")
