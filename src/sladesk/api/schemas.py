from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any

from ninja import Schema
from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
)

if TYPE_CHECKING:
    from sladesk.tickets.models import Comment

_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    """Pydantic reads a number as seconds since 1970; the API takes ISO 8601 only."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("give an ISO 8601 date and time, not a number")
    return value


# An instant in a query or body: ISO 8601 (e.g. 2026-11-03T10:00:00+03:00), never a number.
Instant = Annotated[dt.datetime, BeforeValidator(_not_a_number)]


class StrictIn(Schema):
    """Input schemas reject unknown fields: nothing is silently ignored or mass-assigned."""

    model_config = ConfigDict(extra="forbid")


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    organisation_id: int
    language: str
    time_zone: str


class TicketReleaseOut(BaseModel):
    """The release a ticket is planned into."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    version: str
    planned_on: dt.date
    status: str


# Plain pydantic, read straight from the model's attributes by pydantic-core: a ninja Schema
# reads each field through Python, about 10 ms for a page of 50 tickets.
class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    title: str
    description: str
    status: str
    priority: str
    channel: str
    organisation_id: int
    service_id: int | None
    ticket_class_id: int | None
    severity_id: int | None
    impact: str
    urgency: str
    # A list annotates `line_level` (no join, no SupportLine per row); a single ticket has `line`.
    line_level: int | None = Field(
        None, validation_alias=AliasChoices("line_level", AliasPath("line", "level"))
    )
    assignee_id: int | None
    requester_id: int | None
    parent_id: int | None
    contact: str
    outside_contract: bool
    external_reference: str
    registered_at: dt.datetime
    updated_at: dt.datetime
    first_response_at: dt.datetime | None
    reproduced_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    sla_state: str
    sla_response_due_at: dt.datetime | None
    sla_resolution_due_at: dt.datetime | None
    sla_next_due_at: dt.datetime | None
    # A list reads it from joined columns (see api/tickets.py), a single ticket from `release`.
    release: TicketReleaseOut | None


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketIn(StrictIn):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=100_000)
    organisation_id: int | None = None
    requester_id: int | None = None
    service_id: int | None = None
    ticket_class_id: int | None = None
    severity_id: int | None = None
    impact: str = Field("", max_length=10)
    urgency: str = Field("", max_length=10)
    channel: str = Field("api", max_length=20)
    contact: str = Field("", max_length=300)
    tags: list[str] = Field(default_factory=list, max_length=20)


class TicketPatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=100_000)
    contact: str | None = Field(None, max_length=300)
    service_id: int | None = None
    external_reference: str | None = Field(None, max_length=200)


class CommentOut(Schema):
    id: int
    kind: str
    body: str
    author_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_body(comment: Comment) -> str:
        # A desk note in the reader's language (the stored body is its English rendering).
        return comment.text


class CommentIn(StrictIn):
    body: str = Field(min_length=1, max_length=100_000)
    internal: StrictBool = False


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    comment_id: int | None
    created_at: dt.datetime


class EventOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    at: dt.datetime
    field: str
    before: Any
    after: Any


class AssignIn(StrictIn):
    assignee_id: int | None


class EscalateIn(StrictIn):
    line_id: int
    reason: str = Field(min_length=1, max_length=5000)
    external_reference: str = Field("", max_length=200)
    assignee_id: int | None = None  # else the line's rule picks (or nobody)


class AttentionIn(StrictIn):
    reason: str = Field(min_length=1, max_length=5000)


class ExternalCaseIn(StrictIn):
    note: str = Field(min_length=1, max_length=100_000)
    vendor: str = Field(min_length=1, max_length=200)
    reference: str = Field("", max_length=200)
    status: str = Field("", max_length=20)
    follow_up_on: dt.date | None = None


class ExternalCasePatch(StrictIn):
    note: str = Field(min_length=1, max_length=100_000)
    vendor: str = Field("", max_length=200)
    reference: str = Field("", max_length=200)
    status: str = Field("", max_length=20)
    follow_up_on: dt.date | None = None


class ExternalCaseOut(Schema):
    id: int
    vendor: str
    reference: str
    status: str
    follow_up_on: dt.date | None
    opened_at: dt.datetime
    updated_at: dt.datetime


class TextIn(StrictIn):
    text: str = Field(min_length=1, max_length=100_000)


class OptionalTextIn(StrictIn):
    text: str = Field("", max_length=100_000)


class ClassifyIn(StrictIn):
    ticket_class_id: int
    severity_id: int | None = None
    impact: str = Field("", max_length=10)
    urgency: str = Field("", max_length=10)


class ProposalIn(StrictIn):
    reason: str = Field(min_length=1, max_length=5000)
    ticket_class_id: int | None = None
    severity_id: int | None = None
    priority: str = Field("", max_length=20)
    line_id: int | None = None  # an external vendor's line (line 4): escalation by consent


class ProposalOut(Schema):
    id: int
    status: str
    reason: str
    ticket_class_id: int | None
    severity_id: int | None
    priority: str
    line_id: int | None
    proposed_by_id: int
    proposed_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None


class DecisionIn(StrictIn):
    comment: str = Field("", max_length=5000)


class WatcherIn(StrictIn):
    user_id: int
    watching: StrictBool = True


class ParentIn(StrictIn):
    parent_id: int | None


class TagsIn(StrictIn):
    tags: list[str] = Field(max_length=50)


class SlaEventOut(Schema):
    id: int
    clock: str
    kind: str
    threshold: int
    due_at: dt.datetime | None
    at: dt.datetime
