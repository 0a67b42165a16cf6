"""First-run set-up shared by `quickstart`, `createadmin` and the demo."""

from __future__ import annotations

from django.db import transaction

from sladesk.accounts.choices import OrganisationKind, Role
from sladesk.accounts.models import Organisation, User


def vendor_ensure(name: str = "Support vendor", code: str = "vendor") -> Organisation:
    vendor = Organisation.objects.filter(kind=OrganisationKind.VENDOR).first()
    if vendor is None:
        vendor = Organisation.objects.create(name=name, code=code, kind=OrganisationKind.VENDOR)
    return vendor


def admin_ensure(*, email: str, password: str, reset: bool = False) -> tuple[User, bool]:
    """Create the administrator, or (with `reset`) set the password of an existing one."""
    with transaction.atomic():
        vendor = vendor_ensure()
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(
                email,
                password,
                organisation=vendor,
                role=Role.ADMINISTRATOR,
                full_name="Administrator",
            )
        elif reset:
            user.set_password(password)
            user.role = Role.ADMINISTRATOR
            user.is_active = True
            user.save()
    return user, created
