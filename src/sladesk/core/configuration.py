"""Saving configuration records (organisations, contracts, lines, calendars, ...) for the
administration API: one place that checks the actor and turns model validation into
domain errors. The business rules of each record live in its model's `clean()`."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import User
from sladesk.core.errors import Conflict, DomainError, PermissionDenied

ModelT = TypeVar("ModelT", bound=models.Model)


def configuration_save(*, actor: User, instance: ModelT, changes: dict[str, Any]) -> ModelT:
    """Apply `changes` to `instance` (new or existing), validate and save it."""
    if actor.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only an administrator may do this."))
    for name, value in changes.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(
            " ".join(messages), field=None if field == "__all__" else field
        ) from error
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise Conflict(_("This clashes with an existing record.")) from error
    return instance
