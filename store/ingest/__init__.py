"""Ingestion: CSV/JSONL files and JSON records into the store, validated all-or-nothing.

from store.ingest import ingest_file, ingest_records, IngestError
report = ingest_file(sessions, "customers.csv", "customers", settings=settings)
"""

from store.ingest.errors import IngestError, RowError
from store.ingest.pipeline import IngestReport, ingest_file, ingest_lines, ingest_records
from store.ingest.schemas import KINDS

__all__ = [
    "KINDS",
    "IngestError",
    "IngestReport",
    "RowError",
    "ingest_file",
    "ingest_lines",
    "ingest_records",
]
