"""Signals for data derived from tickets (report figures, search), never for the lifecycle:
the services own that."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction of a change, once per action on a ticket (`ticket`).
ticket_changed = Signal()

# Sent when many tickets' derived state was restated at once (`ticket_ids`), e.g. after a
# policy edit.
tickets_changed = Signal()
