"""The help centre (`/help/`, also for people signed out), deflection on the portal's
new-ticket page, and a customer's own configuration in the portal."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
