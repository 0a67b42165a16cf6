"""When people hear of what: their choice over their role's default over the built-in one,
in two queries for any number of people; and the settings page that chooses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from sladesk.accounts.choices import Role
from sladesk.notifications.choices import DeliveryChannel, DeliveryMode, NotificationKind
from sladesk.notifications.models import NotificationDefault, NotificationPreference
from sladesk.notifications.preferences import (
    NOT_CHOSEN_KINDS,
    VENDOR_ONLY_KINDS,
    cell_name,
    grid_kinds,
    modes_for,
    preference_set,
)
from tests.conftest import World, signed_in

EMAIL, CHAT, DESK = DeliveryChannel.EMAIL, DeliveryChannel.CHAT, DeliveryChannel.DESK


def test_a_choice_beats_the_role_default_which_beats_the_built_in_one(world: World) -> None:
    kind = NotificationKind.REPLY
    NotificationDefault.objects.create(
        role=Role.AGENT, kind=kind, channel=EMAIL, mode=DeliveryMode.DAILY
    )
    NotificationDefault.objects.create(
        role=Role.AGENT, kind=NotificationKind.STATUS, channel=CHAT, mode=DeliveryMode.OFF
    )
    preference_set(actor=world.agent2, kind=kind, channel=EMAIL, mode=DeliveryMode.HOURLY)

    modes = modes_for(users=[world.agent1, world.agent2, world.alpha.user], kind=kind)

    assert modes[world.agent1.pk] == {DESK: "immediate", EMAIL: "daily", CHAT: "immediate"}
    assert modes[world.agent2.pk] == {DESK: "immediate", EMAIL: "hourly", CHAT: "immediate"}
    assert modes[world.alpha.user.pk] == {DESK: "immediate", EMAIL: "immediate", CHAT: "immediate"}


def test_the_desk_is_never_off_even_by_a_role_default(world: World) -> None:
    NotificationDefault.objects.create(
        role=Role.AGENT, kind=NotificationKind.REPLY, channel=DESK, mode=DeliveryMode.OFF
    )
    modes = modes_for(users=[world.agent1], kind=NotificationKind.REPLY)
    assert modes[world.agent1.pk][DESK] == DeliveryMode.IMMEDIATE
    with pytest.raises(ValidationError, match="cannot be turned off"):
        preference_set(
            actor=world.agent1, kind=NotificationKind.REPLY, channel=DESK, mode=DeliveryMode.OFF
        )


def test_modes_for_costs_no_query_of_its_own_however_many_people(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    people = [world.admin, world.lead, world.agent1, world.agent2, world.agent3]
    people += [world.alpha.user, world.alpha.specialist, world.beta.user, world.beta.specialist]
    for person in people[::2]:
        preference_set(
            actor=person, kind=NotificationKind.REPLY, channel=EMAIL, mode=DeliveryMode.OFF
        )
    modes_for(users=people[:1], kind=NotificationKind.REPLY)  # the directory, once
    # The choices come from the configuration cache: at most its generation is asked.
    with django_assert_max_num_queries(1):
        modes = modes_for(users=people, kind=NotificationKind.REPLY)
    assert [modes[person.pk][EMAIL] for person in people] == ["off", "immediate"] * 4 + ["off"]
    with django_assert_max_num_queries(0):
        assert modes_for(users=[], kind=NotificationKind.REPLY) == {}


def test_customers_never_choose_for_vendor_only_kinds_and_nobody_for_the_technical_ones(
    world: World,
) -> None:
    customer_kinds = set(grid_kinds(vendor_side=False))
    vendor_kinds = set(grid_kinds(vendor_side=True))
    assert not customer_kinds & VENDOR_ONLY_KINDS
    assert NotificationKind.SLA_BREACH in vendor_kinds
    assert NotificationKind.REPLY in customer_kinds
    assert not (customer_kinds | vendor_kinds) & NOT_CHOSEN_KINDS
    with pytest.raises(ValidationError):
        preference_set(
            actor=world.alpha.user,
            kind=NotificationKind.SLA_BREACH,
            channel=EMAIL,
            mode=DeliveryMode.OFF,
        )


def test_the_page_saves_only_the_cells_a_person_changed(world: World) -> None:
    NotificationDefault.objects.create(
        role=Role.SPECIALIST,
        kind=NotificationKind.STATUS,
        channel=EMAIL,
        mode=DeliveryMode.DAILY,
    )
    client = signed_in(world.alpha.specialist)
    url = reverse("web:notification_settings")
    page = client.get(url).content.decode()
    assert cell_name(NotificationKind.REPLY, EMAIL) in page
    assert cell_name(NotificationKind.SLA_BREACH, EMAIL) not in page
    assert cell_name(NotificationKind.PASSWORD_RESET, EMAIL) not in page

    response = client.post(
        url,
        {
            cell_name(NotificationKind.REPLY, EMAIL): DeliveryMode.HOURLY,
            cell_name(NotificationKind.REPLY, CHAT): DeliveryMode.IMMEDIATE,  # as before
            cell_name(NotificationKind.STATUS, EMAIL): DeliveryMode.DAILY,  # the default
            cell_name(NotificationKind.STATUS, CHAT): DeliveryMode.OFF,
        },
    )

    assert response.status_code == 302
    saved = set(
        NotificationPreference.objects.filter(user=world.alpha.specialist).values_list(
            "kind", "channel", "mode"
        )
    )
    assert saved == {("reply", "email", "hourly"), ("status", "chat", "off")}
    shown = client.get(url).content.decode()
    assert 'value="hourly" selected' in shown


def test_the_page_shows_a_bad_choice_as_an_error_and_saves_nothing(world: World) -> None:
    client = signed_in(world.agent1)
    response = client.post(
        reverse("web:notification_settings"),
        {
            cell_name(NotificationKind.REPLY, EMAIL): DeliveryMode.DAILY,
            cell_name(NotificationKind.STATUS, EMAIL): "sometimes",
        },
    )
    assert response.status_code == 200
    assert "Unknown choice of when." in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_settings_page_costs_the_same_queries_with_more_preferences(world: World) -> None:
    from tests.web.test_query_counts import queries_for

    client = signed_in(world.lead)
    url = reverse("web:notification_settings")
    client.get(url)  # the directory of choices, loaded once per change
    few = queries_for(lambda: client.get(url))
    for kind in grid_kinds(vendor_side=True):
        preference_set(actor=world.lead, kind=kind, channel=CHAT, mode=DeliveryMode.DAILY)
    client.get(url)
    many = queries_for(lambda: client.get(url))
    assert many == few
    assert many <= 10
