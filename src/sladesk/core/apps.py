from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "sladesk.core"
    label = "core"
    verbose_name = "sladesk core"

    def ready(self) -> None:
        from sladesk.core.configcache import on_post_migrate
        from sladesk.core.postgresql import install_timestamp_loader

        # Once per migrate or flush, after every app's tables exist.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="core_config_triggers")
        connection_created.connect(install_timestamp_loader, dispatch_uid="core_timestamps")
