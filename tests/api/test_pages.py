"""The account page: plan and usage bar, API keys shown once, documents, preferences link."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.api.models import ApiKey
from apps.summaries.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer["user"])
    return client


def test_the_page_shows_the_plan_the_usage_and_the_preferences_link(signed_in, customer):
    customer["api"].post("/summaries", {"mode": "brief", "text": "One. Two. Three."})
    page = signed_in.get("/accounts/").content.decode()
    assert "Pro" in page and "16 of 100,000 characters used" in page
    assert 'role="progressbar"' in page and "/email/preferences/" in page


@pytest.mark.embedded
def test_a_new_key_is_shown_once_kept_hashed_and_revoked_from_the_page(signed_in, customer):
    created = signed_in.post("/accounts/keys/", {"name": "laptop"}).content.decode()
    row = ApiKey.objects.get(name="laptop")
    key = created.split('id="new-key">')[1].split("<")[0]
    assert key.startswith(f"ss_{row.prefix}_") and key not in row.hashed_key
    assert key not in signed_in.get("/accounts/").content.decode()  # never shown again
    api = customer["api"]
    assert api.get("/usage", key=key).status_code == 200
    signed_in.post(f"/accounts/keys/{row.pk}/revoke/")
    assert api.get("/usage", key=key).status_code == 401
    assert api.get("/usage").status_code == 200  # the organization's other key still works
    assert signed_in.post("/accounts/keys/999999/revoke/").status_code == 404


def test_documents_are_uploaded_and_deleted_from_the_page_with_refusals_as_errors(
    signed_in, settings
):
    settings.MAX_UPLOAD_BYTES = 100
    refused = signed_in.post(
        "/accounts/documents/", {"file": SimpleUploadedFile("x.bin", b"\x00\x01\x02")}
    )
    assert refused.status_code == 400 and "not a document we can read" in refused.content.decode()
    signed_in.post("/accounts/documents/", {"file": SimpleUploadedFile("a.txt", b"Words.")})
    document = Document.objects.get()
    assert "a.txt" in signed_in.get("/accounts/").content.decode()
    signed_in.post(f"/accounts/documents/{document.pk}/delete/")
    assert not Document.objects.exists()


def test_account_pages_need_a_signed_in_customer(client):
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/keys/", {"name": "x"})["Location"].startswith("/accounts/login/")
