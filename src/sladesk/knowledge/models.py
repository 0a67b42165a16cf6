"""The knowledge base: articles (with their versions, translations, files and what readers
made of them) and each customer organisation's configuration."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.knowledge.choices import (
    ArticleLanguage,
    ArticleStatus,
    Audience,
    ReviewReason,
    TicketArticleKind,
)


class Category(models.Model):
    """A shelf of the knowledge base (FAQ, instructions, troubleshooting, ...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One article in one language; its translations point to the original
    (`translation_of`), so that the original and its translations are one article."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown"))
    # The body rendered and sanitised when it was saved: pages never render on each view.
    body_html = models.TextField(editable=False, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=ArticleLanguage.choices)
    # Indexed as the first column of the unique language per article.
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        db_index=False,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.INTERNAL
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("organisation"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_articles",
        verbose_name=_("owner"),
    )
    review_on = models.DateField(_("review by"), null=True, blank=True)
    # Why the article must be read again before its review date (e.g. its problem was fixed).
    review_reason = models.CharField(
        _("to review because"), max_length=30, choices=ReviewReason.choices, blank=True
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="articles")
    services = models.ManyToManyField(
        "accounts.Service", blank=True, related_name="articles", verbose_name=_("services")
    )
    problem = models.ForeignKey(
        "problems.Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("known error"),
    )
    # Raised by every save: a save based on an older version is refused (no lost edit).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    helpful_votes = models.PositiveIntegerField(_("helpful"), default=0)
    unhelpful_votes = models.PositiveIntegerField(_("not helpful"), default=0)
    deflections = models.PositiveIntegerField(_("deflections"), default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "audience"], name="article_status_audience"),
            models.Index(fields=["review_on"], name="article_review_on"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["translation_of", "language"], name="article_one_translation_per_language"
            ),
            models.CheckConstraint(
                condition=models.Q(audience="organisation", organisation__isnull=False)
                | (~models.Q(audience="organisation") & models.Q(organisation__isnull=True)),
                name="article_organisation_with_its_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def original_id(self) -> int:
        """The id every translation of this article shares."""
        return self.translation_of_id or self.pk


class ArticleSearch(models.Model):
    """An article as search reads it, written by every save (`knowledge.search.index`).

    On PostgreSQL `document` holds the weighted tsvector (title A, body B; the search module
    says in which configurations); on SQLite it stays empty and an FTS5 table (created by the
    migrations) holds the words."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)  # the body without markup: snippets come from it
    document = SearchVectorField(null=True)
    # The title and the start of the text alone: small enough to rank every match by.
    head = SearchVectorField(null=True)

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """An article as one save left it (append-only): who, when, and the whole text."""

    # Indexed as the first column of the unique number.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ArticleStatus.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


def article_file_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{instance.sha256[:16]}"


class ArticleAttachment(models.Model):
    """An image or file of an article, kept in Django storage."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_file_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("article file")
        verbose_name_plural = _("article files")

    def __str__(self) -> str:
        return self.filename


class ArticleVote(models.Model):
    """A reader's "helpful" or "not helpful": one per signed-in person, or per session."""

    # Indexed as the first column of both unique votes.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="votes", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=models.Q(user__isnull=False),
                name="article_vote_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=models.Q(user__isnull=True),
                name="article_vote_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class Deflection(models.Model):
    """A ticket not registered: the customer found the answer in the article."""

    # Indexed as the first column of `deflection_article_time`.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="deflection_records", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, null=True, related_name="+"
    )
    # What the customer had written: what people ask, in their words.
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["article", "created_at"], name="deflection_article_time")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d}"


class TicketArticle(models.Model):
    """An article tied to a ticket: linked in a reply, the ticket's resolution, or written
    from it."""

    # Indexed as the first column of the unique link.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="article_links", db_index=False
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    kind = models.CharField(_("kind"), max_length=20, choices=TicketArticleKind.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "article", "kind"], name="ticket_article_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ~ {self.article_id} {self.kind}"


CONFIGURATION_FIELDS = (
    "environment",
    "installed_versions",
    "integrations",
    "remote_access",
    "contacts",
    "notes",
)


class CustomerConfiguration(models.Model):
    """What the vendor knows of a customer's set-up, shown beside each of its tickets."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="configuration"
    )
    environment = models.TextField(_("environment"), blank=True)
    installed_versions = models.TextField(_("installed versions"), blank=True)
    integrations = models.TextField(_("integrations"), blank=True)
    remote_access = models.TextField(_("remote access"), blank=True)
    contacts = models.TextField(_("contacts"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer configuration")
        verbose_name_plural = _("customer configurations")

    def __str__(self) -> str:
        return str(self.organisation_id)


class ConfigurationVersion(models.Model):
    """A customer's configuration as one save left it (append-only)."""

    # Indexed as the first column of the unique number.
    configuration = models.ForeignKey(
        CustomerConfiguration, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(default=dict)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "number"], name="configuration_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.configuration_id} v{self.number}"
