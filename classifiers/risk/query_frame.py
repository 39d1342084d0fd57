"""A customer-keyed query's rows as a DataFrame, straight from the driver's cursor."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.orm import Session

from store.db import driver_rows


def labelled_frame(session: Session, query: Select[Any]) -> pd.DataFrame:
    """Run a query whose first column is labelled customer_id; its labels become the columns.
    Building SQLAlchemy Row objects (and decoding every value) cost as much as a third of
    the query, so rows come from the cursor as they are."""
    rows = driver_rows(session.connection(), query)
    columns = [c.name for c in query.selected_columns]
    return pd.DataFrame.from_records(rows, columns=columns, index="customer_id")
