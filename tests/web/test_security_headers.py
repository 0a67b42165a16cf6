"""Every page carries a Content-Security-Policy without inline script, and no page of the
desk has an inline script or handler that it would block; https deployments get secure
cookies and HSTS."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from sladesk.core.security import STRICT_POLICY
from tests.conftest import World, signed_in

INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


def test_pages_forbid_inline_script_and_carry_none(world: World) -> None:
    ticket = world.ticket(world.alpha)
    for person, paths in (
        (world.agent1, ["/tickets/", f"/tickets/{ticket.pk}/", "/tickets/new/", "/problems/"]),
        (world.alpha.user, ["/tickets/", f"/tickets/{ticket.pk}/", "/tickets/new/", "/account/"]),
    ):
        client = signed_in(person)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            policy = response["Content-Security-Policy"]
            assert policy == STRICT_POLICY
            assert "script-src 'self'" in policy
            assert "unsafe-inline" not in policy
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), path
            assert not INLINE_HANDLER.search(html), path
    login = signed_in(world.agent1).get("/login/")
    assert "frame-ancestors 'none'" in login["Content-Security-Policy"]


def test_the_admin_may_style_inline_but_never_script(world: World) -> None:
    policy = signed_in(world.admin).get("/admin/")["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy


def https_settings(**environment: str) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='sladesk.settings'; "
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    env = {**os.environ, **environment}
    return subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_https_gives_secure_cookies_and_hsts() -> None:
    assert https_settings(SLADESK_HTTPS="false") == "False False 0"
    assert https_settings(SLADESK_HTTPS="true") == "True True 31536000"
    assert https_settings(SLADESK_HTTPS="true", SLADESK_HSTS_SECONDS="600") == "True True 600"
