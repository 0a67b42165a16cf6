"""The support team's knowledge base pages (articles, versions, review) and the knowledge
panels of the ticket and problem pages."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
