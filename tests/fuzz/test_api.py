"""Hostile API input. Schemathesis against /api/openapi.json: every operation, generated
bodies, ids and queries; no 500, and every response matches the schema (documented status,
content type, body). Then `tests.strategies.hostile_text` (NULs, lone surrogates, non-BMP
characters) in every text field, query string, path and key: a 4xx JSON answer, never a 5xx,
nothing half-stored and nothing charged on refusal. The calls go through the real WSGI
application on the test's database, with a real key.
"""

import json
from urllib.parse import quote

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st
from schemathesis import checks

from apps.api.api import api
from apps.api.keys import api_key_create
from apps.billing.models import UsageRecord
from apps.summaries.models import SummarizationRequest
from apps.text_input import is_poisoned, scrub_text
from tests.factories import make_organization, make_plan, make_user
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]
OPERATIONS = [
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
]


@pytest.fixture
def api_schema():
    # As Django's test client does: keep the test's database connection open across requests.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_key(settings):
    settings.API_RATE_BY_PLAN = {"fuzz": "100000/m"}
    settings.MAX_UPLOAD_BYTES = 4096
    settings.ANALYTICS_FLUSH_SECONDS = 0
    user = make_user(email_verified_at=timezone.now())
    organization = make_organization(plan=make_plan("fuzz", 10**9), owner=user)
    return api_key_create(organization=organization, name="fuzz", user=user)[1]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(o) for o in OPERATIONS])
def test_every_operation_answers_within_its_schema_and_never_500(api_schema, api_key, method, path):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {api_key}"}

    @given(operation.as_strategy())
    def call(case):
        # Every check but "schema-valid data is accepted": a valid body may still be refused
        # by a business rule (an unknown document id 404, both text and document 422).
        response = case.call_and_validate(
            headers=headers, excluded_checks=[checks.positive_data_acceptance]
        )
        assert response.status_code < 500, response.text[:500]

    call()


MODES = ["brief", "detailed", "bullet_points", "executive"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), hostile_text(max_size=12)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text(max_size=6), inner),
    max_leaves=6,
)


@pytest.fixture
def customer(settings):
    settings.API_RATE_BY_PLAN = {"fuzz": "100000/m"}
    settings.ANALYTICS_FLUSH_SECONDS = 0
    settings.SUMMARY_SYNC_MAX_CHARS = 120  # longer texts take the queued path (run inline here)
    user = make_user(email_verified_at=timezone.now())
    organization = make_organization(plan=make_plan("fuzz", 10**9), owner=user)
    key = api_key_create(organization=organization, name="fuzz", user=user)[1]
    return organization, key, Client(enforce_csrf_checks=True, raise_request_exception=False)


def charged(organization) -> int:
    record = UsageRecord.objects.filter(organization=organization).first()
    return record.characters_used if record else 0


def test_hostile_text_in_every_json_field_is_refused_or_stored_whole_and_charged_only_if_run(
    customer,
):
    organization, key, client = customer

    @given(
        mode=st.one_of(st.sampled_from(MODES), st.sampled_from(MODES), hostile_text(max_size=12)),
        text=st.one_of(
            hostile_text(max_size=300),  # mostly poisoned: refused
            hostile_text(max_size=120).map(scrub_text),  # storable, non-BMP kept: run inline
            hostile_text(min_size=121, max_size=400).map(scrub_text),  # storable: queued
        ),
        extra=st.dictionaries(hostile_text(max_size=8), json_values, max_size=2),
    )
    def attempt(mode, text, extra):
        before, rows = charged(organization), SummarizationRequest.objects.count()
        body = json.dumps({**extra, "mode": mode, "text": text})
        # What the server reads: JSON joins two escaped surrogates that make a pair ("\ud800",
        # "\udfff") into one valid character, so such a text is not poisoned once sent.
        sent = json.loads(body)
        mode, text = sent["mode"], sent["text"]
        response = client.post(
            "/api/v1/summaries",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code < 500, response.content[:300]
        assert response["Content-Type"].startswith("application/json")
        event(f"answered {response.status_code}")  # --hypothesis-show-statistics shows the mix
        if response.status_code >= 400:  # refused: nothing stored, nothing charged
            assert SummarizationRequest.objects.count() == rows
            assert charged(organization) == before
            if is_poisoned(text) or is_poisoned(mode):
                assert response.status_code == 422
            return
        assert not is_poisoned(text) and mode in MODES
        row = SummarizationRequest.objects.latest("pk")
        assert row.status in ("completed", "failed") and row.input_text == ""
        assert charged(organization) == before + (len(text) if row.status == "completed" else 0)

    attempt()


def test_hostile_query_strings_paths_and_keys_get_a_4xx_json_answer(customer):
    _, key, client = customer

    @given(
        value=hostile_text(max_size=20),
        where=st.sampled_from(["limit", "before_id", "path", "key"]),
    )
    def attempt(value, where):
        raw = quote(value.encode("utf-8", "surrogatepass"), safe="")  # what a client can send
        path, auth = "/api/v1/documents", f"Bearer {key}"
        if where in ("limit", "before_id"):
            path += f"?{where}={raw}"
        elif where == "path":
            path = f"/api/v1/summaries/{raw or 'x'}"
        else:
            auth = f"Bearer {value}"
        response = client.get(path, HTTP_AUTHORIZATION=auth)
        assert response.status_code < 500, response.content[:300]
        assert response["Content-Type"].startswith("application/json")

    attempt()
