import pytest
from django.test import Client
from django.utils import timezone

from apps.analytics.buffer import interaction_buffer
from apps.api.keys import api_key_create
from tests.factories import make_organization, make_plan, make_user
from tests.storage import s3_files, seaweedfs, stored_files  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def buffered_log(settings):
    """The log is flushed by the tests (a flusher thread could not see uncommitted rows)."""
    settings.ANALYTICS_FLUSH_SECONDS = 0
    interaction_buffer.discard()
    return interaction_buffer


class Api:
    """A client that sends one API key."""

    def __init__(self, key: str):
        self.key, self.client = key, Client(raise_request_exception=False)

    def _headers(self, key):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key if key is None else key}"}

    def get(self, path, key=None, **kw):
        return self.client.get(f"/api/v1{path}", **self._headers(key), **kw)

    def post(self, path, data=None, key=None, **kw):
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", **self._headers(key), **kw
        )

    def upload(self, name, content, key=None):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(
            "/api/v1/documents", {"file": SimpleUploadedFile(name, content)}, **self._headers(key)
        )

    def delete(self, path, key=None):
        return self.client.delete(f"/api/v1{path}", **self._headers(key))


@pytest.fixture
def customer(db):
    user = make_user("owner@example.com", email_verified_at=timezone.now())
    organization = make_organization("Acme", plan=make_plan("pro", 100_000, "29"), owner=user)
    row, key = api_key_create(organization=organization, name="tests", user=user)
    return {"user": user, "organization": organization, "key": key, "row": row, "api": Api(key)}
