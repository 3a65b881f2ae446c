"""The deployment's own routes and its production hardening, over HTTP: the health check the
platform calls over plain HTTP, every other plain-HTTP request sent to HTTPS, static files
collected and served by gunicorn itself (hashed names, compressed, cached for a year), the
favicon and the console's translation catalogue."""

import re

import pytest
import requests

from .deployment import HOST

pytestmark = pytest.mark.xdist_group("smoke")


def test_the_health_check_answers_over_plain_http_and_everything_else_goes_to_https(deployment):
    plain = f"http://127.0.0.1:{deployment.port}"
    health = requests.get(f"{plain}/healthz", headers={"Host": HOST}, timeout=30)
    assert health.status_code == 200 and health.json()["database"] == "ok", health.text
    assert health.json()["broker"] == "ok"
    redirected = requests.get(
        f"{plain}/admin/", headers={"Host": HOST}, allow_redirects=False, timeout=30
    )
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == f"https://{HOST}/admin/"
    unknown_host = requests.get(f"{plain}/healthz", headers={"Host": "evil.example"}, timeout=30)
    assert unknown_host.status_code == 400  # ALLOWED_HOSTS


def test_security_headers_on_every_page(browser):
    page = browser.get("/accounts/login/")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_collected_and_served_compressed_with_long_caching(browser):
    login = browser.get("/admin/login/")
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', login.text)
    assert stylesheets, login.text[:500]
    for path in stylesheets:
        assert re.search(r"\.[0-9a-f]{12}\.css$", path), path  # the manifest's hashed name
        answer = browser.get(path, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/css")
        assert answer.headers.get("Content-Encoding") == "gzip"
        assert "max-age=315360000" in answer.headers["Cache-Control"]


def test_the_favicon_and_the_translation_catalogue(browser):
    icon = browser.get("/favicon.ico")  # browsers ask; the console's icon answers
    assert [r.status_code for r in icon.history] == [301] and icon.status_code == 200
    assert icon.headers["Content-Type"].startswith("image/svg+xml")
    catalogue = browser.get("/jsi18n/")
    assert catalogue.status_code == 200 and "gettext" in catalogue.text
