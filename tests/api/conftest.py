import json

import pytest
from django.test import Client
from django.utils import timezone

from apps.analytics.buffer import interaction_buffer
from apps.api.keys import api_key_create
from apps.billing.models import UsageRecord
from tests.conftest import subprocess_env
from tests.factories import make_organization, make_plan, make_user
from tests.servers import free_port
from tests.storage import s3_files, seaweedfs, stored_files  # noqa: F401 (fixtures)
from tests.web import THREADED
from tests.web import Gunicorn as ProjectServer


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


class Gunicorn(ProjectServer):
    """gunicorn serving the project as a deployment does (DEBUG=0), on the test's database
    and the given Redis."""

    def __init__(self, tmp_path, redis_url: str):
        port = free_port()
        env = subprocess_env(
            DEBUG="0",
            SECRET_KEY="http-test-" * 6,
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL=f"http://127.0.0.1:{port}",
            WEBHOOK_SECRET="u:p",
            STRIPE_WEBHOOK_SECRET="whsec_test",
            SECURE_SSL_REDIRECT="0",
            EMAIL_PROVIDER="file",
            REDIS_URL=redis_url,
            SUMMARY_SYNC_MAX_CHARS="200",
            VAR_DIR=str(tmp_path / "var"),
        )
        super().__init__(tmp_path / "gunicorn.log", *THREADED, env=env, port=port)
        self.wait_for("/healthz", 200, 503, timeout=60)


@pytest.fixture
def web(private_redis, tmp_path, transactional_db):
    server = Gunicorn(tmp_path, private_redis.url)
    yield server
    server.stop()


@pytest.fixture
def http_key(transactional_db) -> str:
    """A verified customer's key, committed for a server process to see."""
    user = make_user("http@example.com", email_verified_at=timezone.now())
    organization = make_organization("Http", plan=make_plan("pro", 100_000, "29"), owner=user)
    return api_key_create(organization=organization, name="http", user=user)[1]


@pytest.fixture
def http() -> Client:
    """A client that enforces CSRF, as a browser-less API client meets the site."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def call(http: Client, key: str, method: str, path: str, body=None):
    """One API call with a key; a body is sent as JSON (a lone surrogate as valid JSON)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is None:
        return getattr(http, method)(path, **headers)
    payload = json.dumps(body)  # ensure_ascii: "\ud800" travels as the JSON escape \ud800
    return getattr(http, method)(path, payload, content_type="application/json", **headers)


def charged(organization) -> int:
    """Characters charged to the organization this month."""
    record = UsageRecord.objects.filter(organization=organization).first()
    return record.characters_used if record else 0
