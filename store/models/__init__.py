"""All store models, imported together so the metadata (and migrations) see every table."""

from store.models.activity_rollup import (
    DEFAULT_ACTIVITY_KINDS,
    DEFAULT_TAIL_DAYS,
    ActivityRollupState,
    CustomerActivity,
)
from store.models.customers import CUSTOMER_STATUSES, EVENT_KINDS, ActivityEvent, Customer
from store.models.feedback import (
    FEEDBACK_SOURCES,
    Category,
    CategoryDaily,
    FeedbackItem,
    JourneyStage,
    SpikeAlert,
)
from store.models.registry import MODEL_STATUSES, ModelVersion
from store.models.rescue import (
    CASE_STATUSES,
    FLAG_KINDS,
    Flag,
    RescueCase,
    RescueEvent,
    TaskMessage,
)
from store.models.slack_requests import SeenSlackRequest
from store.models.team import ROLES, TeamMember

__all__ = [
    "CASE_STATUSES",
    "CUSTOMER_STATUSES",
    "DEFAULT_ACTIVITY_KINDS",
    "DEFAULT_TAIL_DAYS",
    "EVENT_KINDS",
    "FEEDBACK_SOURCES",
    "FLAG_KINDS",
    "MODEL_STATUSES",
    "ROLES",
    "ActivityEvent",
    "ActivityRollupState",
    "Category",
    "CategoryDaily",
    "Customer",
    "CustomerActivity",
    "FeedbackItem",
    "Flag",
    "JourneyStage",
    "ModelVersion",
    "RescueCase",
    "RescueEvent",
    "SeenSlackRequest",
    "SpikeAlert",
    "TaskMessage",
    "TeamMember",
]
