"""The conversation around a ticket: replies, notes, attachments, watchers, tags."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, PermissionDenied
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Attachment, Comment, Tag, Ticket
from sladesk.tickets.notes import Note
from sladesk.tickets.services import history
from sladesk.tickets.services.common import finish, lock_visible, require_vendor, transition


@dataclass(frozen=True)
class Upload:
    """A file as an interface received it: the name the sender gave, and its bytes."""

    filename: str
    content: bytes

    @classmethod
    def read(cls, file: File) -> Upload:
        """An uploaded file, read no further than one byte beyond the attachment limit
        (which `_store_attachment` then refuses): a huge upload never fills the memory."""
        limit = settings.SLADESK_ATTACHMENT_MAX_BYTES
        return cls(filename=file.name or "", content=file.read(limit + 1))


UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.\- ()\[\]+]", re.UNICODE)


def safe_filename(name: str, *, fallback: str = "attachment") -> str:
    """A display/download name with no path, control characters or leading dots."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = UNSAFE_NAME_CHARACTERS.sub("_", name).strip(" .")
    if not name:
        return fallback
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= 10:
        return stem[: 200 - len(extension)] + "." + extension
    return name[:200]


def sniff_content_type(content: bytes) -> str:
    """The type the bytes really are (magic numbers), never the type the sender claimed."""
    kind = filetype.guess(content[:8192])
    if kind is not None:
        return str(kind.mime)
    try:
        content[:8192].decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def require_within_limit(upload: Upload, *, field: str) -> None:
    """Refuse a file over the attachment limit (tickets' and articles' alike)."""
    limit = settings.SLADESK_ATTACHMENT_MAX_BYTES
    if len(upload.content) > limit:
        raise DomainError(
            _("%(name)s is larger than the limit of %(limit)d MiB.")
            % {"name": upload.filename, "limit": limit // (1024 * 1024)},
            field=field,
        )


def _store_attachment(
    ticket: Ticket, comment: Comment | None, actor: User | None, upload: Upload
) -> Attachment:
    require_within_limit(upload, field="attachments")
    digest = hashlib.sha256(upload.content).hexdigest()
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        filename=safe_filename(upload.filename),
        content_type=sniff_content_type(upload.content),
        size=len(upload.content),
        sha256=digest,
        uploaded_by=actor,
        created_at=clock.now(),
    )
    attachment.file.save(digest, ContentFile(upload.content), save=False)
    # The file is written before the row; if the transaction rolls back, the orphan is
    # content-addressed and harmless (a later identical upload reuses the name).
    attachment.save()
    history.record(
        ticket,
        actor,
        EventKind.ATTACHMENT_ADDED,
        data={
            "attachment_id": attachment.pk,
            "filename": attachment.filename,
            "internal": comment is not None and comment.kind == CommentKind.INTERNAL,
        },
    )
    return attachment


def add_comment(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    body: str = "",
    uploads: list[Upload] | None = None,
    *,
    note: Note | None = None,
) -> Comment:
    """Write a comment and its files on a locked ticket; the caller handles the lifecycle.

    `body` is a person's words, stored as written; `note` is what the desk itself writes,
    stored as its kind and parameters and rendered in each reader's language (the body
    keeps its English rendering for search and for readers that know no kinds)."""
    note_kind = ""
    note_params: dict[str, object] = {}
    if note is not None:
        if body:
            raise ValueError("a desk note is rendered from its kind, it takes no body")
        note_kind, note_params = note.kind, note.stored_params()
        with translation.override("en"):
            body = note.render()
    comment = Comment.objects.create(
        ticket=ticket,
        author=actor,
        kind=kind,
        body=body,
        note=note_kind,
        note_params=note_params,
        created_at=clock.now(),
    )
    history.record(
        ticket, actor, EventKind.COMMENTED, data={"comment_id": comment.pk, "kind": kind}
    )
    for upload in uploads or []:
        _store_attachment(ticket, comment, actor, upload)
    return comment


def ticket_comment(
    *,
    actor: User,
    ticket_id: int,
    body: str,
    internal: bool = False,
    uploads: list[Upload] | None = None,
) -> Comment:
    """Reply publicly or add an internal note (vendor only).

    A customer's reply to a ticket waiting for them resumes it; the vendor's first public
    reply is the ticket's reaction (first response, seed 004) and starts a new ticket."""
    body = body.strip()
    if not body and not uploads:
        raise DomainError(_("Write something or attach a file."), field="body")
    if internal:
        require_vendor(actor)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if ticket.status in lifecycle.TERMINAL_STATUSES:
            raise Conflict(_("The ticket is closed; open a new one or ask to reopen it."))
        kind = CommentKind.INTERNAL if internal else CommentKind.PUBLIC
        comment = add_comment(ticket, actor, kind, body, uploads)
        if not internal:
            note_public_reply(ticket, actor)
        finish(ticket, actor)
    return comment


def note_public_reply(ticket: Ticket, actor: User) -> None:
    """The lifecycle consequences of a public message by `actor` on a locked ticket."""
    if actor.is_vendor_staff:
        if ticket.first_response_at is None:
            history.change(ticket, actor, "first_response_at", clock.now())
        if ticket.status == lifecycle.Status.NEW:
            transition(ticket, actor, lifecycle.Action.START)
    elif ticket.status == lifecycle.Status.WAITING_FOR_CUSTOMER:
        transition(ticket, actor, lifecycle.Action.CUSTOMER_REPLY)


def ticket_attach(*, actor: User, ticket_id: int, uploads: list[Upload]) -> list[Attachment]:
    """Attach files to the ticket itself (not to a comment)."""
    if not uploads:
        raise DomainError(_("Choose a file."), field="attachments")
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if ticket.status in lifecycle.TERMINAL_STATUSES:
            raise Conflict(_("The ticket is closed."))
        attachments = [_store_attachment(ticket, None, actor, upload) for upload in uploads]
        ticket.updated_at = clock.now()
        ticket.save(update_fields=["updated_at"])
    return attachments


def ticket_set_watcher(*, actor: User, ticket_id: int, user_id: int, watching: bool) -> None:
    """Add or remove a watcher: vendor staff, or a person of the ticket's organisation.

    Customers may only add or remove themselves."""
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if not actor.is_vendor_staff and user_id != actor.pk:
            raise PermissionDenied(_("You can only follow or unfollow a ticket yourself."))
        person = User.objects.filter(pk=user_id, is_active=True).first()
        if person is None or not (
            person.is_vendor_staff or person.organisation_id == ticket.organisation_id
        ):
            raise DomainError(_("This person cannot watch the ticket."), field="user")
        present = ticket.watchers.filter(pk=person.pk).exists()
        if watching and not present:
            ticket.watchers.add(person)
            history.record(ticket, actor, EventKind.WATCHER_ADDED, data={"user_id": person.pk})
        elif not watching and present:
            ticket.watchers.remove(person)
            history.record(ticket, actor, EventKind.WATCHER_REMOVED, data={"user_id": person.pk})


def apply_tags(ticket: Ticket, actor: User | None, tags: list[str]) -> list[str]:
    """Replace the tags of a locked (or just created) ticket, recording the change."""
    names = sorted({slugify(tag, allow_unicode=True)[:50] for tag in tags} - {""})
    before = sorted(ticket.tags.values_list("name", flat=True))
    if before != names:
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
        ticket.tags.set(Tag.objects.filter(name__in=names))
        history.record(
            ticket, actor, EventKind.FIELD_CHANGED, field="tags", before=before, after=names
        )
    return names


def ticket_set_tags(*, actor: User, ticket_id: int, tags: list[str]) -> list[str]:
    """Replace the ticket's tags (vendor staff)."""
    require_vendor(actor)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        return apply_tags(ticket, actor, tags)
