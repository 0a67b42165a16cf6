from __future__ import annotations

from django_tasks import task

from sladesk.channels.imap import mailboxes_poll
from sladesk.channels.monitoring.services import inbound_alert_process_pending
from sladesk.channels.services import inbound_mail_process_pending


@task()
def mailboxes_poll_task() -> int:
    """Fetch new mail from every active IMAP mailbox; returns how many messages were stored."""
    return sum(result.stored for result in mailboxes_poll())


@task()
def inbound_retry_task() -> int:
    """Process inbound messages and alerts left pending by a failure."""
    return inbound_mail_process_pending() + inbound_alert_process_pending()
