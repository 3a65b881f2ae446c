"""The customer JSON API on the deployment, called as a program calls it: a Bearer key made on
the account page, no cookie, no CSRF token. Short texts answer at once, long texts and
documents run on the real consumer; documents come back through their signed links; every
error is JSON."""

import time

import pytest

pytestmark = pytest.mark.xdist_group("smoke")
SENTENCE = "The smoke suite checks that a deployment answers its users over real HTTP. "


def text_of(characters: int) -> str:
    return (SENTENCE * (characters // len(SENTENCE) + 1))[:characters]


def finished(api, summary_id: int, timeout: float = 60) -> dict:
    """Poll the summary until the consumer has run it, as a client would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/summaries/{summary_id}").json()
        if body["status"] in ("completed", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"summary {summary_id} still {body['status']} after {timeout} s")


def test_a_short_text_is_summarized_at_once_and_charged(api):
    before = api.get("/api/v1/usage").json()["characters_used"]
    made = api.post("/api/v1/summaries", json={"mode": "brief", "text": text_of(1200)})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "completed" and body["summary"] and body["input_characters"] == 1200
    assert api.get(f"/api/v1/summaries/{body['id']}").json()["summary"] == body["summary"]
    usage = api.get("/api/v1/usage").json()
    assert usage["characters_used"] == before + 1200 and usage["plan"] == "Free"


def test_a_long_text_runs_on_the_consumer(api):
    queued = api.post("/api/v1/summaries", json={"mode": "bullet_points", "text": text_of(3000)})
    assert queued.status_code == 202 and queued.json()["status"] == "pending", queued.text
    done = finished(api, queued.json()["id"])
    assert done["status"] == "completed" and done["output_characters"] > 0, done


def test_a_document_is_uploaded_read_through_its_link_summarized_and_deleted(deployment, api):
    content = text_of(900).encode()
    made = api.post("/api/v1/documents", files={"file": ("report.txt", content, "text/plain")})
    assert made.status_code == 201, made.text
    document = made.json()
    assert [d["id"] for d in api.get("/api/v1/documents").json()] == [document["id"]]
    link = api.get(f"/api/v1/documents/{document['id']}").json()["download_url"]
    download = deployment.browser().get(link)  # whoever holds the link, for an hour
    assert download.status_code == 200 and download.content == content
    queued = api.post(
        "/api/v1/summaries", json={"mode": "executive", "document_id": document["id"]}
    )
    assert queued.status_code == 202, queued.text
    assert finished(api, queued.json()["id"])["status"] == "completed"
    assert api.delete(f"/api/v1/documents/{document['id']}").status_code == 204
    gone = api.get(f"/api/v1/documents/{document['id']}")
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert deployment.browser().get(link).status_code == 404  # the file went with its row


def test_the_schema_and_docs_are_served_and_every_error_is_json(deployment, api):
    schema = api.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/v1/summaries" in schema.json()["paths"]
    docs = deployment.browser().get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    anonymous = deployment.machine()
    answers = {
        "no key": anonymous.post("/api/v1/summaries", json={"mode": "brief", "text": "x"}),
        "unknown": api.get("/api/v1/summaries/999999"),
        "invalid": api.post("/api/v1/summaries", json={"mode": "haiku", "text": "x"}),
        "poison": api.post(
            "/api/v1/summaries",
            data=b'{"mode": "brief", "text": "a\\ud800b"}',
            headers={"Content-Type": "application/json"},
        ),
        "root": api.get("/api/"),
    }
    for name, answer in answers.items():
        assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text[:200])
        assert answer.headers["Content-Type"].startswith("application/json"), (name, answer.text)
        assert answer.json().get("code"), (name, answer.text)
