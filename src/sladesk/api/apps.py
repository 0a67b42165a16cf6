from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sladesk.api"
    label = "api"
    verbose_name = "REST API"
