"""Text that cannot be stored (a NUL, an unpaired surrogate) is refused at the API's edge, by
its one parser, with a 422 naming the field: nothing stored, nothing charged."""

import pytest

from apps.summaries.models import SummarizationRequest
from tests.api.conftest import call, charged

pytestmark = pytest.mark.django_db
TEXT = "The edge refuses what cannot be stored. The rest is summarized and charged once. " * 2


@pytest.mark.embedded
@pytest.mark.parametrize("poison", ["\x00", "\ud800", "\udfff", "x\udbffy"])
@pytest.mark.parametrize("length", ["short", "long"])
def test_text_that_cannot_be_stored_is_a_422_naming_the_field_with_nothing_stored_or_charged(
    http, customer, settings, poison, length
):
    settings.SUMMARY_SYNC_MAX_CHARS = 200  # "long" runs as a task
    text = TEXT + poison + (TEXT * 3 if length == "long" else "")
    response = call(
        http, customer["key"], "post", "/api/v1/summaries", {"mode": "brief", "text": text}
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_request"
    assert body["message"] == (
        "Text in text holds a NUL character or an unpaired surrogate, which cannot be stored."
    )
    assert body["errors"] == [{"loc": ["body", "text"], "msg": body["message"]}]
    assert not SummarizationRequest.objects.exists()
    assert charged(customer["organization"]) == 0


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"mode": "brief\x00", "text": "x"}, "mode"),
        ({"mode": "brief", "text": "x", "note\ud800": 1}, "note\ufffd"),
        ({"mode": "brief", "text": "x", "tags": ["ok", "\udc00"]}, "tags[1]"),
        ("\ud800", "body"),
    ],
)
def test_every_field_of_a_json_body_is_checked_by_the_one_parser(http, customer, body, where):
    response = call(http, customer["key"], "post", "/api/v1/summaries", body)
    assert response.status_code == 422 and where in response.json()["message"]
    assert not SummarizationRequest.objects.exists()


@pytest.mark.parametrize(
    "header", ["Bearer ss_ab\x00cd_secret", "Bearer ss_\ud800_x", "Bearer " + "ss_a_" * 5000]
)
def test_a_key_that_is_no_key_is_401_never_500(http, customer, header):
    response = http.get("/api/v1/usage", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
