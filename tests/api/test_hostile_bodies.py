"""Bodies the API cannot read are problem+json answers with their reason and one warning
line in the log: too large, too many files, a broken multipart boundary."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sladesk.tickets.models import Attachment, Ticket
from tests.api.test_api_behaviour import client_for
from tests.conftest import World


def assert_problem(response: object, status: int, words: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert words in body["detail"]


def test_an_oversize_json_body_is_a_413_problem(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(world.alpha.user)
    body = '{"title": "' + "x" * (8 * 1024 * 1024) + '"}'
    with caplog.at_level(logging.WARNING):
        response = client.post("/api/v1/tickets", body, content_type="application/json")
    assert_problem(response, 413, "larger than")
    assert not Ticket.objects.exists()
    refused = [record for record in caplog.records if "refused" in record.getMessage()]
    assert len(refused) == 1
    assert refused[0].exc_info is None
    assert not [record for record in caplog.records if record.exc_info]


def test_too_many_files_and_a_broken_boundary_are_400_problems(world: World) -> None:
    ticket = world.ticket(world.alpha)
    client = client_for(world.alpha.user)
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(101)]
    assert_problem(client.post(url, {"files": files}), 400, "Too many files")
    broken = client.generic(
        "POST",
        url,
        b'--nothing-like-the-boundary\r\nContent-Disposition: form-data; name="files"\r\n',
        content_type="multipart/form-data; boundary=",
    )
    assert_problem(broken, 400, "multipart")
    assert not Attachment.objects.exists()
