from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sladesk.core"
    label = "core"
    verbose_name = _("Desk configuration")

    def ready(self) -> None:
        from sladesk.core import configcache
        from sladesk.core.postgresql import install_timestamp_loader

        # Once per migrate (or flush), before and after every app's migrations.
        pre_migrate.connect(
            configcache.on_pre_migrate, sender=self, dispatch_uid="core_config_drop"
        )
        post_migrate.connect(
            configcache.on_post_migrate, sender=self, dispatch_uid="core_config_triggers"
        )
        request_started.connect(configcache.on_request_started, dispatch_uid="core_config_start")
        request_finished.connect(configcache.on_request_finished, dispatch_uid="core_config_end")
        connection_created.connect(configcache.on_connection_created, dispatch_uid="core_writes")
        connection_created.connect(install_timestamp_loader, dispatch_uid="core_timestamps")
