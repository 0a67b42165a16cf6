"""Factories for the test suite (factory_boy)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from sladesk.accounts.choices import ContractStatus, OrganisationKind, Role
from sladesk.accounts.models import Contract, Organisation, Service, User

PASSWORD = "correct-horse-battery"  # test fixture


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Customer {n}")
    code = factory.Sequence(lambda n: f"customer-{n}")
    kind = OrganisationKind.CUSTOMER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CUSTOMER_USER
    password = factory.django.Password(PASSWORD)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"C-{n:04d}")
    organisation = factory.SubFactory(OrganisationFactory)
    status = ContractStatus.ACTIVE
    starts_on = dt.date(2024, 1, 1)
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
