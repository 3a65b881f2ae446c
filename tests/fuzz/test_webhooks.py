"""Every provider webhook route, fed generated bodies: never a 500, never half-stored.

Two targets per provider (postmark, resend, sendgrid, mailgun, amazon_ses): any bytes or JSON,
and the provider's documented payload with generated values in any of its fields (wrong types,
over-long text, NULs, lone surrogates and non-BMP characters, missing keys), posted with
valid credentials and no CSRF cookie (as providers post) so the parsers are reached. A refusal
stores nothing; an accepted event fits its columns and holds no text PostgreSQL refuses.
"""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from apps.mail.models import EmailEvent, Suppression
from apps.text_input import poison_in
from tests.mail import webhook_payloads as payloads
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

text = st.one_of(
    hostile_text(max_size=30),
    st.text(alphabet=st.sampled_from("a\x00\ud800@.<>é\U0001f600"), max_size=40),
    st.integers(min_value=1, max_value=4).map(lambda n: "x" * (300 * n)),  # past each column
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def mutated(value, key: str = "") -> st.SearchStrategy:
    """The documented value, or a generated one in its place, at every level."""
    if key == "signature":  # Mailgun's signature block stays valid: the parsers must be reached
        return st.just(value)
    if isinstance(value, dict):
        fields = st.fixed_dictionaries({k: mutated(v, k) for k, v in value.items()})
        dropped = st.sets(st.sampled_from(sorted(value)), max_size=2) if value else st.just(set())
        whole = st.tuples(fields, dropped).map(
            lambda pair: {k: v for k, v in pair[0].items() if k not in pair[1]}
        )
        return st.one_of(whole, json_values) if key else whole
    if isinstance(value, list):
        return st.one_of(st.tuples(*[mutated(item) for item in value]).map(list), json_values)
    return st.one_of(st.just(value), json_values)


def documented(provider: str) -> st.SearchStrategy:
    if provider == "amazon_ses":  # the SES event travels as a JSON string inside SNS
        inner = json.loads(payloads.ses_bounce()["Message"])
        return mutated(inner).map(
            lambda event: payloads.sns_notification(json.dumps(event), message_id="sns-1")
        )
    if provider == "mailgun":
        return mutated(payloads.mailgun_failed())
    return mutated(payloads.DOCUMENTED[provider]())


@pytest.fixture(autouse=True)
def secured(settings):
    settings.ANYMAIL = dict(payloads.ANYMAIL_SETTINGS)


def strict_client() -> Client:
    """As providers post: no cookie, no CSRF token, and CSRF checks on."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def check(response, before: int) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:  # refused: nothing of it stored
        assert EmailEvent.objects.count() == before
    for event in EmailEvent.objects.order_by("-id")[:5]:
        assert len(event.message_id) <= 255 and len(event.recipient) <= 254
        texts = [
            event.event_id,
            event.message_id,
            event.recipient,
            event.description,
            event.mta_response,
            event.click_url,
            event.payload,
        ]
        assert poison_in(texts) is None, texts
    assert poison_in(list(Suppression.objects.values_list("address", flat=True))) is None


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
@given(body=st.one_of(st.binary(max_size=600), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_body_is_answered_with_200_or_400(provider, body):
    before = EmailEvent.objects.count()
    check(payloads.post_raw(strict_client(), provider, body), before)


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
@given(data=st.data())
def test_documented_payloads_with_generated_fields_never_500(provider, data):
    payload = data.draw(documented(provider))
    before = EmailEvent.objects.count()
    check(payloads.post_json(strict_client(), provider, payload), before)
