"""The journey-stage taxonomy: its pydantic schema and the loader that validates the YAML.

Validated once at the edge with extra="forbid", so a typo fails at load time with its YAML path
("stages[2].categories[0].id: ..."), never in a classifier run days later.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
_ID = r"^[a-z][a-z0-9_]*$"


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the YAML path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategorySpec(_Strict):
    id: str = Field(pattern=_ID, max_length=64)
    name: str = Field(min_length=1)
    description: str = ""
    examples: list[str] = Field(default_factory=list)


class StageSpec(_Strict):
    id: str = Field(pattern=_ID, max_length=64)
    name: str = Field(min_length=1, description="The customer's words for this stage.")
    company_alias: str = Field(min_length=1, description="The business's name for it.")
    categories: list[CategorySpec] = Field(min_length=1)


class RemapSpec(_Strict):
    """How categories of an earlier version map onto this one, so history can follow."""

    version: str = Field(min_length=1)
    categories: dict[str, str]


class Taxonomy(_Strict):
    version: str = Field(min_length=1, max_length=32)
    stages: list[StageSpec] = Field(min_length=1)
    remap_from: RemapSpec | None = None

    @model_validator(mode="after")
    def _ids_are_unique_and_remap_targets_exist(self) -> Taxonomy:
        seen: set[str] = set()
        for stage in self.stages:
            if stage.id in seen:
                raise ValueError(f"stage id {stage.id!r} is used twice")
            seen.add(stage.id)
        categories: set[str] = set()
        for stage in self.stages:
            for category in stage.categories:
                if category.id in categories:
                    raise ValueError(f"category id {category.id!r} is used twice")
                categories.add(category.id)
        if self.remap_from:
            if self.remap_from.version == self.version:
                raise ValueError("remap_from.version must differ from version")
            for old, new in self.remap_from.categories.items():
                if new not in categories:
                    raise ValueError(f"remap_from.categories.{old}: {new!r} is not a category")
        return self

    @property
    def category_ids(self) -> list[str]:
        return [category.id for stage in self.stages for category in stage.categories]

    def stage_of(self, category_id: str) -> str:
        """The stage id a category belongs to; KeyError names an unknown category."""
        for stage in self.stages:
            if any(category.id == category_id for category in stage.categories):
                return stage.id
        raise KeyError(f"category {category_id!r} is not in taxonomy version {self.version}")

    def stage_map(self) -> dict[str, str]:
        return {cat.id: stage.id for stage in self.stages for cat in stage.categories}


def _yaml_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def parse_taxonomy(data: object, source: str = "<taxonomy>") -> Taxonomy:
    """A Taxonomy from parsed YAML; TaxonomyError lists every problem with its YAML path."""
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_yaml_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise TaxonomyError(f"{source}: invalid taxonomy\n  " + "\n  ".join(problems)) from None


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at path (default: the shipped playbooks/taxonomy.yaml)."""
    path = path or DEFAULT_TAXONOMY_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"{path}: not valid YAML ({exc})") from None
    return parse_taxonomy(data, str(path))
