"""The signed-in person's own pages: preferences (language, time zone), API tokens, the
customer's contract; and password reset by mail (Django's views, our templates; the mail
goes through the notification outbox)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sladesk.accounts import selectors as account_selectors
from sladesk.accounts import signin
from sladesk.accounts.self_service import api_token_revoke, user_set_preferences
from sladesk.accounts.services import api_token_create
from sladesk.core.errors import DomainError
from sladesk.notifications import services as notification_services
from sladesk.notifications.choices import NotificationKind
from sladesk.web.common import actor_of, domain_errors_as_404
from sladesk.web.forms import PreferencesForm, RevokeForm, TokenForm, add_domain_error


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose mail goes through the outbox: written as a notification
    (retried until the mail server takes it) instead of sent inline and lost when the
    server is down."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        language = user.language if user.language in dict(settings.LANGUAGES) else "en"
        # Rendered now, in the person's language: the deliverer renders only rows without
        # a subject, and the link's token cannot be made again later.
        with translation.override(language):
            subject = "".join(render_to_string(subject_template_name, context).splitlines())
            body = render_to_string(email_template_name, context)
        with transaction.atomic():
            notification_services.notification_written(
                kind=NotificationKind.PASSWORD_RESET,
                event_key=f"password-reset:{user.pk}:{uuid.uuid4().hex}",
                user=user,
                subject=subject,
                body=body,
            )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "web/password_reset.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        refusal = signin.password_reset_refusal(self.request)
        if refusal:
            form.add_error(None, refusal)
            return self.form_invalid(form)
        if not signin.password_reset_mail_allowed(self.request, email):
            # As if sent: the page never tells which addresses have an account.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"


def _account_page(
    request: HttpRequest,
    *,
    preferences: PreferencesForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str = "",
) -> HttpResponse:
    user = actor_of(request)
    return render(
        request,
        "web/account.html",
        {
            "preferences": preferences
            or PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone}),
            "token_form": token_form or TokenForm(),
            "tokens": account_selectors.api_tokens_of(user=user),
            "new_token": new_token,
        },
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Language and time zone; the language applies at once (the cookie follows it)."""
    if request.method != "POST":
        return _account_page(request)
    form = PreferencesForm(request.POST)
    if form.is_valid():
        try:
            user = user_set_preferences(
                user=actor_of(request),
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your preferences are saved."))
            response = redirect("web:account")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax", httponly=True
            )
            return response
    return _account_page(request, preferences=form)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue a token and show its raw value this once (only its digest is kept)."""
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _token, raw = api_token_create(
                user=actor_of(request),
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            response = _account_page(request, new_token=raw)
            response["Cache-Control"] = "no-store"
            return response
    return _account_page(request, token_form=form)


@login_required
@require_POST
@domain_errors_as_404
def token_revoke(request: HttpRequest) -> HttpResponse:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        raise Http404
    api_token_revoke(user=actor_of(request), token_id=form.cleaned_data["token"])
    messages.success(request, _("The token is revoked."))
    return redirect("web:account")


@login_required
def contract(request: HttpRequest) -> HttpResponse:
    """The customer's contract: term, lines, SLA targets, accounts left."""
    user = actor_of(request)
    if not user.is_customer:
        raise Http404
    return render(
        request, "web/contract.html", {"overview": account_selectors.contract_overview(user=user)}
    )
