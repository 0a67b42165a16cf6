"""Files of articles: uploaded by the support team, served to the article's readers only;
raster images inline, anything else (SVG, HTML) as a download."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.services import ArticleDraft, article_create
from tests.conftest import PNG, World, signed_in


def article(world: World, audience: str = Audience.PUBLIC) -> int:
    draft = ArticleDraft(title="With a picture", status=ArticleStatus.PUBLISHED, audience=audience)
    return article_create(actor=world.agent1, draft=draft).pk


def upload(client: Client, article_id: int, name: str, content: bytes) -> tuple[int, str]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("web:article_file_upload", kwargs={"article_id": article_id}),
        {"file": SimpleUploadedFile(name, content)},
    )
    return response.status_code, response.content.decode()


def test_an_image_is_shown_to_anyone_who_may_read_the_article(world: World) -> None:
    status, markdown = upload(signed_in(world.agent1), article(world), "screen.png", PNG)
    assert status == 200
    assert markdown.startswith("![screen.png](/help/files/")
    url = markdown[markdown.index("(") + 1 : -1]
    response = Client().get(url)  # signed out: a public article
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_svg_and_html_are_downloads_never_shown(world: World) -> None:
    client = signed_in(world.agent1)
    pk = article(world)
    for name, content in (
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("x.html", b"<html><script>alert(1)</script></html>"),
    ):
        status, markdown = upload(client, pk, name, content)
        assert status == 200
        assert not markdown.startswith("!")
        response = Client().get(markdown[markdown.index("(") + 1 : -1])
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")


def test_a_file_of_an_internal_article_is_no_customers(world: World) -> None:
    _status, markdown = upload(
        signed_in(world.agent1), article(world, Audience.INTERNAL), "i.png", PNG
    )
    url = markdown[markdown.index("(") + 1 : -1]
    assert Client().get(url).status_code == 404
    assert signed_in(world.alpha.specialist).get(url).status_code == 404
    assert signed_in(world.agent2).get(url).status_code == 200


def test_customers_cannot_upload_and_bad_uploads_are_refused(world: World) -> None:
    pk = article(world)
    assert upload(signed_in(world.alpha.specialist), pk, "a.png", PNG)[0] == 404
    assert upload(signed_in(world.agent1), pk, "empty.png", b"")[0] == 400
    response = signed_in(world.agent1).post(
        reverse("web:article_file_upload", kwargs={"article_id": pk})
    )
    assert response.status_code == 400
