"""`column IN (a long list)` as one bound parameter, on SQLite and PostgreSQL.

Thousands of expanded IN parameters cost more to build than the query costs to run; a JSON
array (SQLite's json_each) or a PostgreSQL array is one parameter of any length.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import QueryableAttribute


def among(
    dialect: str,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    values: Sequence[str] | Sequence[int],
    name: str,
) -> ColumnElement[bool]:
    """`column IN values`; `name` names the bound parameter (unique within a statement)."""
    if dialect == "postgresql":
        element = Integer if values and isinstance(values[0], int) else String
        return column == any_(bindparam(name, list(values), type_=ARRAY(element)))
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name, json.dumps(list(values))))
    )
    return column.in_(listed.scalar_subquery())
