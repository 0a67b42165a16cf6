"""Images and files of articles: uploaded by the support team, read by whoever may read
the article (signed out too, for the help centre's public articles). Only raster images
are shown inline; anything else, SVG and HTML included, is a download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sladesk.core.errors import DomainError, NotFound
from sladesk.knowledge import selectors, services
from sladesk.tickets.services.conversation import Upload
from sladesk.web.common import actor_of, domain_errors_as_404, vendor_only

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@domain_errors_as_404
def article_file(request: HttpRequest, article_file_id: int) -> FileResponse:
    user = request.user if request.user.is_authenticated else None
    attachment = selectors.article_attachment_get_readable(
        user=user,
        attachment_id=article_file_id,
    )
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
@vendor_only
@domain_errors_as_404
def article_file_upload(request: HttpRequest, article_id: int) -> HttpResponse:
    """Upload from the article's edit page; the answer is the Markdown that shows it (for
    htmx to put into the body), or a 400 naming what is wrong."""
    upload = request.FILES.get("file")
    if upload is None:
        return HttpResponseBadRequest(_("Choose a file."))
    try:
        attachment = services.article_attach(
            actor=actor_of(request), article_id=article_id, upload=Upload.read(upload)
        )
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return HttpResponseBadRequest(error.message)
    url = reverse("web:article_file", kwargs={"article_file_id": attachment.pk})
    name = attachment.filename.replace("[", "(").replace("]", ")")
    shown = "!" if attachment.content_type in INLINE_TYPES else ""
    return HttpResponse(f"{shown}[{name}]({url})", content_type="text/plain; charset=utf-8")


urlpatterns: list[URLPattern] = [
    path("help/files/<int:article_file_id>/", article_file, name="article_file"),
    path("kb/<int:article_id>/files/", article_file_upload, name="article_file_upload"),
]
