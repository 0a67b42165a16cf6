from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sladesk.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from sladesk.reports import receivers
        from sladesk.tickets.signals import ticket_changed, tickets_changed

        ticket_changed.connect(receivers.ticket_changed_mark, dispatch_uid="reports-figures")
        tickets_changed.connect(receivers.tickets_changed_mark, dispatch_uid="reports-figures")
