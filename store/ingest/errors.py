"""Row errors and the exception that carries them: what was wrong, where, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass

MAX_REPORTED_ERRORS = 50


@dataclass(frozen=True)
class RowError:
    """One problem in one input: `row` is the 1-based data row, `line` the file line.

    File-level problems (empty file, bad encoding, missing column) have no row.
    """

    source: str
    row: int | None
    line: int | None
    field: str | None
    reason: str

    def location(self) -> str:
        parts = [self.source]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class FieldError(ValueError):
    """A value that cannot be used for `field`, raised by the parsers and validators."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class IngestError(Exception):
    """A rejected input: nothing was written. Carries the first errors and how many in all."""

    def __init__(self, source: str, errors: list[RowError], total: int) -> None:
        self.source = source
        self.errors = errors
        self.total = total
        shown = "\n".join(f"  {error}" for error in errors)
        more = f"\n  ... and {total - len(errors)} more" if total > len(errors) else ""
        super().__init__(
            f"{source} rejected with {total} error(s), nothing written:\n{shown}{more}"
        )


class ErrorCollector:
    """Keeps the first MAX_REPORTED_ERRORS errors and counts all of them."""

    def __init__(self, source: str, limit: int = MAX_REPORTED_ERRORS) -> None:
        self.source = source
        self.limit = limit
        self.errors: list[RowError] = []
        self.total = 0

    def add(self, row: int | None, line: int | None, field: str | None, reason: str) -> None:
        self.total += 1
        if len(self.errors) < self.limit:
            self.errors.append(RowError(self.source, row, line, field, reason))

    def raise_if_any(self) -> None:
        if self.total:
            raise IngestError(self.source, list(self.errors), self.total)
