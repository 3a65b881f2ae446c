"""The JSON API over the wire: keys, summaries, documents, usage, errors as JSON."""

import pytest
from django.core.files.storage import default_storage
from huey.contrib.djhuey import HUEY

from apps.analytics.buffer import interaction_buffer
from apps.analytics.models import InteractionLog
from apps.api.keys import api_key_create
from apps.billing.models import Plan, UsageRecord
from apps.jobs.models import TaskRun
from apps.jobs.recorder import recorder
from apps.summaries.models import Document, SummarizationRequest
from apps.summaries.tasks import summarization_request_process_task
from tests.api.conftest import Api
from tests.factories import make_organization, make_plan, make_user

pytestmark = pytest.mark.django_db
TEXT = (
    "Huey runs the background jobs of the service. Anymail sends every transactional email. "
    "Unfold draws the staff console. Redis brokers the jobs and keeps the rate limits. "
    "The jobs and the email are watched from the console."
)


def used(organization) -> int:
    return UsageRecord.objects.get(organization=organization).characters_used


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer ss_00000000_wrong", "Basic x"])
def test_a_call_without_a_valid_key_is_401_json(customer, header):
    client = customer["api"].client
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/usage", **extra)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"


def test_an_unverified_owner_can_sign_in_but_not_call_the_api(db):
    user = make_user("new@example.com")
    organization = make_organization("New", owner=user)
    _, key = api_key_create(organization=organization, name="k", user=user)
    response = Api(key).get("/usage")
    assert response.status_code == 403 and response.json()["code"] == "unverified"


@pytest.mark.embedded
@pytest.mark.parametrize("mode", ["brief", "detailed", "bullet_points", "executive"])
def test_a_short_text_is_summarized_at_once_and_charged(customer, mode):
    response = customer["api"].post("/summaries", {"mode": mode, "text": TEXT})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "completed" and body["summary"] and body["summary_url"] is None
    assert body["input_characters"] == len(TEXT) == used(customer["organization"])
    again = customer["api"].get(f"/summaries/{body['id']}").json()
    assert again["summary"] == body["summary"]


def test_the_modes_have_their_own_shapes(customer):
    shapes = {
        mode: customer["api"].post("/summaries", {"mode": mode, "text": TEXT}).json()["summary"]
        for mode in ("brief", "bullet_points", "executive")
    }
    assert shapes["bullet_points"].startswith("• ") and shapes["bullet_points"].count("\n") >= 2
    assert shapes["executive"].startswith("Bottom line: ") and "Key points:" in shapes["executive"]
    assert "\n" not in shapes["brief"] and len(shapes["brief"]) < len(TEXT)


@pytest.mark.real_queue
def test_a_long_text_runs_as_a_task_with_a_status_to_poll(customer, settings):
    settings.SUMMARY_SYNC_MAX_CHARS = 100
    HUEY.flush()
    response = customer["api"].post("/summaries", {"mode": "brief", "text": TEXT})
    assert response.status_code == 202 and response.json()["status"] == "pending"
    summary_id = response.json()["id"]
    assert customer["api"].get(f"/summaries/{summary_id}").json()["summary"] is None
    task = HUEY.dequeue()  # a consumer's turn
    assert task.args == (summary_id,)  # the text stays in the row: not in the broker
    # Its body, as the consumer runs it (HUEY.execute would close the test's transaction).
    summarization_request_process_task.call_local(*task.args, task=task)
    polled = customer["api"].get(f"/summaries/{summary_id}").json()
    assert polled["status"] == "completed" and polled["summary"]
    assert used(customer["organization"]) == len(TEXT)
    recorder.flush()  # the task history, in this test's transaction: no customer text in it
    assert TaskRun.objects.get(task_id=task.id).args == [summary_id]
    HUEY.flush()


@pytest.mark.embedded
def test_a_document_is_uploaded_listed_summarized_downloaded_and_deleted(
    customer, stored_files, django_capture_on_commit_callbacks
):
    api = customer["api"]
    created = api.upload("notes.md", TEXT.encode())
    assert created.status_code == 201, created.content
    document = created.json()
    assert (document["name"], document["content_type"]) == ("notes.md", "text/markdown")
    assert [d["id"] for d in api.get("/documents").json()] == [document["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        summary = api.post("/summaries", {"mode": "brief", "document_id": document["id"]})
    assert summary.status_code == 202
    polled = api.get(f"/summaries/{summary.json()['id']}").json()
    assert polled["status"] == "completed" and polled["document_id"] == document["id"]
    url = api.get(f"/documents/{document['id']}").json()["download_url"]
    if "Signature=" in url:  # S3: the storage's presigned URL
        import urllib.request

        assert urllib.request.urlopen(url, timeout=10).read() == TEXT.encode()
    else:
        download = api.client.get(url.removeprefix("http://127.0.0.1:8000"))
        assert b"".join(download.streaming_content) == TEXT.encode()
        assert api.client.get(url.removeprefix("http://127.0.0.1:8000") + "x").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/documents/{document['id']}").status_code == 204
    assert not Document.objects.exists() and stored_files.names() == set()
    assert api.get(f"/documents/{document['id']}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("big.txt", b"x" * 3000, 413, "too_large"),
        ("run.exe", b"MZ\x90\x00", 415, "unsupported_type"),
        ("empty.txt", b"", 400, "empty"),
    ],
)
def test_bad_uploads_get_413_415_or_400_json(customer, settings, name, content, status, code):
    settings.MAX_UPLOAD_BYTES = 2048
    response = customer["api"].upload(name, content)
    assert (response.status_code, response.json()["code"]) in {(status, code), (400, "empty")}
    assert not Document.objects.exists()


def test_another_organizations_documents_and_summaries_are_404(customer):
    other = make_organization("Other", plan=make_plan("pro", 100_000, "29"))
    foreign = SummarizationRequest.objects.create(
        organization=other, mode="brief", input_characters=1
    )
    api = customer["api"]
    assert api.get(f"/summaries/{foreign.pk}").json()["code"] == "not_found"
    assert api.post("/summaries", {"mode": "brief", "document_id": 999}).status_code == 404
    assert api.get("/summaries/99999999999999999999").status_code == 422
    assert api.get("/summaries/abc").status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "haiku", "text": "x"},
        {"mode": "brief"},
        {"mode": "brief", "text": "x", "document_id": 1},
        {"mode": "brief", "text": ""},
        {"mode": "brief", "text": "\x00\x00"},
        {"mode": "brief", "text": 5},
        [],
    ],
)
def test_invalid_bodies_are_422_json_and_charge_nothing(customer, body):
    response = customer["api"].post("/summaries", body)
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert not UsageRecord.objects.filter(characters_used__gt=0).exists()


def test_malformed_json_is_a_4xx(customer):
    response = customer["api"].client.post(
        "/api/v1/summaries",
        b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {customer['key']}",
    )
    assert 400 <= response.status_code < 500


def test_over_quota_is_402_and_nothing_is_charged(db):
    user = make_user(email_verified_at="2026-01-01T00:00Z")
    organization = make_organization("Tiny", plan=make_plan("tiny", 50), owner=user)
    _, key = api_key_create(organization=organization, name="k", user=user)
    response = Api(key).post("/summaries", {"mode": "brief", "text": TEXT})
    assert response.status_code == 402 and response.json()["code"] == "quota_exceeded"
    assert not SummarizationRequest.objects.exists()


def test_usage_reports_this_months_characters(customer):
    customer["api"].post("/summaries", {"mode": "brief", "text": TEXT})
    usage = customer["api"].get("/usage").json()
    assert usage["characters_used"] == len(TEXT) and usage["plan"] == "Pro"
    assert usage["remaining"] == 100_000 - len(TEXT)


@pytest.mark.embedded
def test_the_api_rate_limit_follows_the_plan_and_answers_429_with_retry_after(
    customer, settings, time_machine
):
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "pro": "3/m"}
    time_machine.move_to("2026-12-01 12:00:01+00:00", tick=False)
    api = customer["api"]
    assert [api.get("/usage").status_code for _ in range(3)] == [200] * 3
    refused = api.get("/usage")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    _, other_key = api_key_create(organization=customer["organization"], name="b", user=None)
    assert api.get("/usage", key=other_key).status_code == 200  # counted per key
    time_machine.shift(retry_after + 1)
    assert api.get("/usage").status_code == 200


@pytest.mark.embedded
def test_each_call_is_logged_from_the_buffer_with_endpoint_status_mode_and_time(customer):
    api = customer["api"]
    api.post("/summaries", {"mode": "executive", "text": TEXT})
    api.post("/summaries", {"mode": "haiku", "text": TEXT})
    api.get("/usage", key="ss_bad")  # no organization to charge it to: not logged
    assert not InteractionLog.objects.exists()  # nothing written in the request path
    assert interaction_buffer.flush() == 2
    logs = list(InteractionLog.objects.order_by("id"))
    assert [(log.endpoint, log.status_code, log.success, log.mode) for log in logs] == [
        ("POST api/v1/summaries", 201, True, "executive"),
        ("POST api/v1/summaries", 422, False, ""),
    ]
    assert logs[0].input_characters == len(TEXT) and logs[1].error_kind == "invalid_request"


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/summaries" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


def test_a_key_stays_hashed_and_notes_its_last_use(customer):
    row = customer["row"]
    assert customer["key"] not in (row.hashed_key, row.prefix) and row.last_used_at is None
    customer["api"].get("/usage")
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert default_storage  # storage untouched by key work


def test_an_organization_without_any_plan_gets_402_not_a_500(db):
    from apps.accounts.services import organization_create

    user = make_user(email_verified_at="2026-01-01T00:00Z")
    organization = organization_create(name="Planless", owner=user)
    Plan.objects.all().delete()  # no plan exists at all (staff deleted the starting ones)
    _, key = api_key_create(organization=organization, name="k", user=user)
    response = Api(key).post("/summaries", {"mode": "brief", "text": TEXT})
    assert response.status_code == 402 and response.json()["code"] == "no_plan"


def test_a_body_far_over_the_upload_limit_is_413_before_it_is_read(customer, settings):
    settings.MAX_UPLOAD_BYTES = 10
    response = customer["api"].client.post(
        "/api/v1/documents",
        b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 + 2 * 1024 * 1024),
        HTTP_AUTHORIZATION=f"Bearer {customer['key']}",
    )
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_document_without_text_is_422_and_charges_nothing(customer):
    document = customer["api"].upload("blank.txt", b"   \n\n   ").json()
    response = customer["api"].post("/summaries", {"mode": "brief", "document_id": document["id"]})
    assert response.status_code == 422 and response.json()["code"] == "unreadable_document"
    assert not UsageRecord.objects.filter(characters_used__gt=0).exists()
