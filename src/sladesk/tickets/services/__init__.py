"""Everything that changes a ticket. Each service checks the actor's permission and scope,
writes inside one transaction and appends the ticket's events itself."""

from sladesk.tickets.services.actions import (
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_mark_reproduced,
    ticket_reopen,
    ticket_request_info,
    ticket_resolve,
    ticket_set_parent,
)
from sladesk.tickets.services.classification import (
    ChangeRequest,
    proposal_decide,
    ticket_classify,
    ticket_propose_change,
)
from sladesk.tickets.services.conversation import (
    Upload,
    ticket_attach,
    ticket_comment,
    ticket_set_tags,
    ticket_set_watcher,
)
from sladesk.tickets.services.editing import TicketEdit, ticket_edit
from sladesk.tickets.services.escalation import (
    ExternalCaseChange,
    external_cases_remind,
    ticket_attention_clear,
    ticket_escalate,
    ticket_external_case_open,
    ticket_external_case_update,
    ticket_raise_attention,
)
from sladesk.tickets.services.registration import TicketRegistration, ticket_register

__all__ = [
    "ChangeRequest",
    "ExternalCaseChange",
    "TicketEdit",
    "TicketRegistration",
    "Upload",
    "external_cases_remind",
    "proposal_decide",
    "ticket_assign",
    "ticket_attach",
    "ticket_attention_clear",
    "ticket_cancel",
    "ticket_classify",
    "ticket_close",
    "ticket_comment",
    "ticket_edit",
    "ticket_escalate",
    "ticket_external_case_open",
    "ticket_external_case_update",
    "ticket_mark_reproduced",
    "ticket_propose_change",
    "ticket_raise_attention",
    "ticket_register",
    "ticket_reopen",
    "ticket_request_info",
    "ticket_resolve",
    "ticket_set_parent",
    "ticket_set_tags",
    "ticket_set_watcher",
]
