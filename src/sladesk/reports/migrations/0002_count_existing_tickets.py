from django.db import migrations


def mark_every_ticket(apps, schema_editor):
    """Tickets registered before reports existed get their figures from the worker."""
    Ticket = apps.get_model("tickets", "Ticket")
    StaleTicket = apps.get_model("reports", "StaleTicket")
    ids = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    batch = []
    for ticket_id in ids.iterator(chunk_size=5000):
        batch.append(StaleTicket(ticket_id=ticket_id))
        if len(batch) == 5000:
            StaleTicket.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    StaleTicket.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(mark_every_ticket, migrations.RunPython.noop)]
