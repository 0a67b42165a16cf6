from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    """draft -> published -> archived; an archived article may be published again."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Audience(models.TextChoices):
    """Who may read a published article (the support team reads every article)."""

    PUBLIC = "public", _("Anyone (help centre)")
    CUSTOMERS = "customers", _("Signed-in customers")
    ORGANISATION = "organisation", _("One organisation")
    INTERNAL = "internal", _("Support team only")


class ArticleLanguage(models.TextChoices):
    EN = "en", _("English")
    RU = "ru", _("Russian")
    CS = "cs", _("Czech")


class TicketArticleKind(models.TextChoices):
    """How an article is tied to a ticket."""

    LINKED = "linked", _("Linked")
    RESOLVED_WITH = "resolved_with", _("Resolved with the article")
    SOURCE = "source", _("Written from the ticket")


class ReviewReason(models.TextChoices):
    """Why a published article must be read again before its review date."""

    NONE = "", _("Nothing to review")
    PROBLEM_FIXED = "problem_fixed", _("The fix of its problem has landed")
