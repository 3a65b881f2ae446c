"""The Content-Security-Policy header: strict on public pages, the console's exceptions only
under /admin/, and each public page's inline <style> carrying that response's nonce.
(tests/browser/test_csp.py opens the pages in Chromium.)"""

import re

import pytest
from django.test import Client

from apps.mail.tokens import make_preferences_token

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.split(" ", 1) for part in header.split("; "))


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password_reset/",
        "/email/preferences/{token}/",
    ],
)
def test_a_public_page_has_the_strict_policy_and_its_style_the_nonce(path):
    url = path.format(token=make_preferences_token(address="ada@example.com"))
    response = Client().get(url)
    assert response.status_code == 200
    policy = policy_of(response)
    nonce = re.search(r"'nonce-([^']+)'", policy["style-src"]).group(1)
    assert policy["script-src"] == policy["style-src"] == f"'self' 'nonce-{nonce}'"
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert "style=" not in response.content.decode()  # no inline style attribute either
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"


def test_each_response_has_its_own_nonce():
    first, second = (policy_of(Client().get("/accounts/login/")) for _ in range(2))
    assert first["style-src"] != second["style-src"]


def test_the_console_allows_eval_and_inline_styles_and_nothing_else(admin_client):
    for path in ["/admin/", "/admin/login/", "/admin/mail/emailtemplate/"]:
        policy = policy_of(admin_client.get(path))
        assert policy["script-src"] == "'self' 'unsafe-eval'", path
        assert policy["style-src"] == "'self' 'unsafe-inline'", path
        assert policy["img-src"] == "'self' data: https:", path
        assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'", path
