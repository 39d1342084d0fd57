"""The importable kinds, by the name the CLI and the API use."""

from store.ingest.schemas.base import IngestOptions, KindSchema
from store.ingest.schemas.customers import CUSTOMERS
from store.ingest.schemas.events import EVENTS
from store.ingest.schemas.feedback import FEEDBACK
from store.ingest.schemas.team import TEAM

SCHEMAS: dict[str, KindSchema] = {s.kind: s for s in (CUSTOMERS, EVENTS, FEEDBACK, TEAM)}
KINDS = tuple(SCHEMAS)

__all__ = ["KINDS", "SCHEMAS", "IngestOptions", "KindSchema"]
