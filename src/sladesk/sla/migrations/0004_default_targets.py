"""Every policy gets a default row, so a ticket nobody has classified yet is clocked too."""

from django.db import migrations


def add_default_rows(apps, schema_editor):
    from sladesk.sla.models import default_target_fields

    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    for policy in SlaPolicy.objects.all():
        rows = list(SlaTarget.objects.filter(policy=policy))
        if not any(
            row.ticket_class_id is None and row.severity_id is None and not row.priority
            for row in rows
        ):
            SlaTarget.objects.create(policy=policy, **default_target_fields(rows))


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_indexes_led_by_others")]
    operations = [migrations.RunPython(add_default_rows, migrations.RunPython.noop)]
