"""GET /api/v1/reports/sla: JSON with the figures, CSV, XLSX and PDF of the same; who may
read which contract's report; bad input answers a 4xx problem."""

# ruff: noqa: RUF001  # Cyrillic and Czech names are the point of these tests

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import Client

from sladesk.accounts.models import User
from sladesk.accounts.services import api_token_create
from sladesk.sla.services import sla_install_examples
from sladesk.tickets import services
from tests.conftest import World
from tests.reports.conftest import pdf_text

MSK = ZoneInfo("Europe/Moscow")
URL = "/api/v1/reports/sla"


def client_of(user: User) -> Client:
    _token, raw = api_token_create(user=user, name="reports")
    return Client(headers={"authorization": f"Bearer {raw}"})


@pytest.fixture
def alpha(world: World) -> World:
    world.alpha.contract.sla_policy = sla_install_examples()["moscow-categories"]
    world.alpha.contract.save()
    world.alpha.organisation.name = "АО «Ромашка»"
    world.alpha.organisation.save()
    with time_machine.travel(dt.datetime(2026, 11, 9, 11, tzinfo=MSK), tick=False):
        ticket = world.ticket(world.alpha, title="Не работает выгрузка")
    with time_machine.travel(dt.datetime(2026, 11, 9, 12, tzinfo=MSK), tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Смотрим")
    return world


def get(client: Client, **query: object):  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=MSK), tick=False):
        return client.get(URL, query)


def test_the_json_holds_the_figures_and_the_breakdowns(alpha: World) -> None:
    answer = get(client_of(alpha.lead), contract_id=alpha.alpha.contract.pk, period="2026-11")
    assert answer.status_code == 200
    body = answer.json()
    assert body["tickets"] == 1
    assert body["response_met_percent"] == 100.0  # before the 12:00 cut-off: the same day
    assert body["resolution_met_percent"] is None
    assert body["response"]["median_seconds"] == 3600
    assert body["organisation"] == "АО «Ромашка»"
    assert [b["dimension"] for b in body["breakdowns"]] == [
        "ticket_class",
        "severity",
        "priority",
        "line",
        "channel",
    ]
    assert body["breaches"] == []


def test_the_files_hold_the_same_figures(alpha: World, tmp_path: Path) -> None:
    client = client_of(alpha.alpha.specialist)
    contract_id = alpha.alpha.contract.pk
    figures = get(client, contract_id=contract_id, period="2026-11").json()
    csv = get(client, contract_id=contract_id, period="2026-11", format="csv")
    assert csv["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").count("\n") > 10
    xlsx = get(client, contract_id=contract_id, period="2026-11", format="xlsx")
    assert xlsx["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    values = [cell.value for row in book.worksheets[0].iter_rows() for cell in row]
    assert figures["response_met_percent"] in values
    assert figures["tickets"] in values
    pdf = get(client, contract_id=contract_id, period="2026-11", format="pdf")
    assert pdf["content-type"] == "application/pdf"
    assert "attachment" in pdf["content-disposition"]
    assert "АО «Ромашка»" in pdf_text(pdf.content, tmp_path)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"period": "2026-13"}, 400),
        ({"period": "November"}, 400),
        ({"start": "2025-01-01", "end": "2026-11-30"}, 400),  # over 366 days
        ({"start": "2026-11-30", "end": "2026-11-01"}, 400),
        ({"start": "2026-11-01"}, 400),
        ({"period": "2026-11", "format": "docx"}, 422),
    ],
)
def test_bad_input_is_a_problem_not_a_report(
    alpha: World, query: dict[str, str], status: int
) -> None:
    answer = get(client_of(alpha.lead), contract_id=alpha.alpha.contract.pk, **query)
    assert answer.status_code == status
    assert answer["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"]


def test_a_range_of_days_is_a_report_too(alpha: World) -> None:
    answer = get(
        client_of(alpha.lead),
        contract_id=alpha.alpha.contract.pk,
        start="2026-11-09",
        end="2026-11-09",
    )
    assert (answer.status_code, answer.json()["period"]) == (200, "2026-11-09..2026-11-09")
    assert answer.json()["tickets"] == 1


def test_who_reads_which_contract(alpha: World) -> None:
    own, other = alpha.alpha.contract.pk, alpha.beta.contract.pk
    assert get(client_of(alpha.alpha.specialist), contract_id=own).status_code == 200
    assert get(client_of(alpha.alpha.specialist), contract_id=other).status_code == 404
    assert get(client_of(alpha.alpha.user), contract_id=own).status_code == 404
    assert get(client_of(alpha.agent1), contract_id=other).status_code == 200
    assert get(client_of(alpha.lead), contract_id=999_999).status_code == 404
