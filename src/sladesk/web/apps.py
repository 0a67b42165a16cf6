from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "sladesk.web"
    label = "web"
    verbose_name = _("Web interface")

    def ready(self) -> None:
        from django.contrib import admin

        from sladesk.web.forms import AdminLoginForm

        # The admin site's sign-in under the same limits on guessing as the desk's own.
        admin.site.login_form = AdminLoginForm
