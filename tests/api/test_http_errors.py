"""The API's errors over real HTTP (gunicorn, DEBUG=0): JSON for unknown paths, wrong methods
and an upload whose file name is 5,000 characters long."""

import pytest
import requests

from apps.summaries.models import Document

pytestmark = pytest.mark.django_db(transaction=True)


def test_errors_are_json_for_unknown_paths_wrong_methods_and_a_5000_character_file_name(
    web, http_key
):
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {http_key}"
    missing = api.get(f"{web.url}/api/v1/nothing-here", timeout=10)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = api.put(f"{web.url}/api/v1/usage", timeout=10)
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"]
    name = "a" * 5000 + ".txt"
    upload = api.post(
        f"{web.url}/api/v1/documents", files={"file": (name, b"Some text.")}, timeout=10
    )
    assert upload.status_code == 400, upload.text
    assert upload.headers["Content-Type"].startswith("application/json")
    assert upload.json()["code"] == "malformed_upload"
    assert "shorter name" in upload.json()["message"]
    assert not Document.objects.exists()
    assert "Traceback" not in web.log()
