"""Every /api/ answer is JSON (unknown paths, wrong methods), signed links to what is not a
file are 404, and the docs are our own static files in a page that fits a phone."""

import pytest
from django.contrib.staticfiles import finders
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from apps.api.files import SALT
from apps.billing.periodic import report_link
from tests.api.conftest import call

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/nothing-here", 404, "not_found"),
        ("get", "/api/nope", 404, "not_found"),
        ("post", "/api/v1/summaries/1/extra", 404, "not_found"),
        ("get", "/api/files/not-a-token/", 404, "not_found"),
        ("put", "/api/v1/usage", 405, "method_not_allowed"),
        ("delete", "/api/v1/summaries", 405, "method_not_allowed"),
        ("get", "/api/v1/summaries", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_wrong_methods_under_api_answer_json(
    http, customer, method, path, status, code
):
    response = call(http, customer["key"], method, path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code and response.json()["message"]
    if status == 405:
        assert response["Allow"]


def test_pages_outside_the_api_keep_their_html_errors(http):
    response = http.get("/accounts/nothing-here/")
    assert response.status_code == 404 and "application/json" not in response["Content-Type"]


@pytest.mark.embedded
@pytest.mark.parametrize("stored_files", ["local"], indirect=True)
@pytest.mark.parametrize("name", ["documents/2026", "documents/2026/", "", "/", 5, None])
def test_a_signed_download_link_naming_no_file_is_404(http, stored_files, name):
    default_storage.save("documents/2026/12/a.txt", ContentFile(b"text"))  # real directories
    token = signing.dumps({"n": name, "f": "a.txt", "t": "text/plain"}, salt=SALT, compress=True)
    response = http.get(reverse("api_file", args=[token]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    report = report_link(path=name).split("/reports/")[1]
    assert http.get(f"/reports/{report}").status_code == 404


@pytest.mark.embedded
@pytest.mark.parametrize("stored_files", ["local"], indirect=True)
def test_a_signed_link_that_is_not_a_file_links_shape_is_404(http, stored_files):
    for data in ({"x": 1}, ["n"], "documents"):
        token = signing.dumps(data, salt=SALT, compress=True)
        assert http.get(reverse("api_file", args=[token])).status_code == 404
    forged = signing.dumps({"other": "documents"}, salt="billing.usage-report")
    assert http.get(f"/reports/{forged}/").status_code == 404


def test_the_docs_are_served_from_our_own_static_files_and_fit_a_phone(http):
    page = http.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert f"/static/{asset}" in html
        assert finders.find(asset), asset  # shipped with the project, collected by collectstatic
    assert "<script>" not in html  # no inline script (the settings are a JSON data block)
