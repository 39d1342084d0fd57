"""The taxonomy schema: the shipped file loads; mistakes fail with their YAML path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from playbooks.taxonomy import (
    DEFAULT_TAXONOMY_PATH,
    TaxonomyError,
    load_taxonomy,
    parse_taxonomy,
)


def _shipped() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))


def test_shipped_taxonomy_has_six_customer_centric_stages() -> None:
    taxonomy = load_taxonomy()
    assert [stage.name for stage in taxonomy.stages[:5]] == [
        "I have a need to be filled",
        "Figure out my options",
        "Make my decision",
        "My need is fulfilled",
        "I experience and feel value",
    ]
    assert [stage.company_alias for stage in taxonomy.stages] == [
        "Awareness",
        "Consideration",
        "Purchase",
        "Onboarding/Delivery",
        "Usage & Support",
        "Renewal",
    ]
    assert len(taxonomy.category_ids) == len(set(taxonomy.category_ids)) >= 20
    assert taxonomy.stage_of("refunds") == "value"
    with pytest.raises(KeyError, match="no_such"):
        taxonomy.stage_of("no_such")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["stages"][2]["categories"][0].update(colour="red"),
            r"stages\[2\]\.categories\[0\]\.colour: Extra inputs",
        ),
        (lambda d: d["stages"][1].update(id="Bad Id"), r"stages\[1\]\.id: String should match"),
        (
            lambda d: d["stages"][0].pop("company_alias"),
            r"stages\[0\]\.company_alias: Field required",
        ),
        (
            lambda d: d["stages"][3].update(categories=[]),
            r"stages\[3\]\.categories: List should have at least 1",
        ),
        (lambda d: d.pop("version"), r"version: Field required"),
        (
            lambda d: d["stages"][1]["categories"].append(d["stages"][0]["categories"][0]),
            "category id 'marketing_and_offers' is used twice",
        ),
        (
            lambda d: d.update(remap_from={"version": "2025.1", "categories": {"old": "nowhere"}}),
            r"remap_from\.categories\.old: 'nowhere' is not a category",
        ),
    ],
)
def test_invalid_taxonomy_names_the_yaml_path(edit: Any, message: str, tmp_path: Path) -> None:
    data = copy.deepcopy(_shipped())
    edit(data)
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as caught:
        load_taxonomy(path)
    assert str(path) in str(caught.value)


def test_unreadable_and_broken_yaml_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="broken.yaml: not valid YAML"):
        load_taxonomy(broken)
    with pytest.raises(TaxonomyError, match="missing.yaml: cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    with pytest.raises(TaxonomyError, match=r"\(top level\)"):
        parse_taxonomy(["not", "a", "mapping"])
