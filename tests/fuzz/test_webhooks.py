"""Every provider webhook route, fed generated bodies: never a 500, never half-stored.

Two targets per provider (postmark, resend, sendgrid, mailgun, amazon_ses): any bytes or JSON,
and the provider's documented payload with generated values in any of its fields (wrong types,
over-long text, NUL characters, missing keys), posted with valid credentials so the parsers
are reached. A refusal stores nothing; an accepted event fits its columns.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.mail.models import EmailEvent, Suppression
from tests.mail import webhook_payloads as payloads

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("a\x00@.<>é"), max_size=40),
    st.integers(min_value=1, max_value=4).map(lambda n: "x" * (300 * n)),  # past each column
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
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
        whole = st.tuples(fields, dropped).map(lambda pair: {
            k: v for k, v in pair[0].items() if k not in pair[1]})  # fmt: skip
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


def check(response, before: int) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:  # refused: nothing of it stored
        assert EmailEvent.objects.count() == before
    for event in EmailEvent.objects.order_by("-id")[:5]:
        assert len(event.message_id) <= 255 and len(event.recipient) <= 254
        assert "\x00" not in event.description + event.mta_response + event.click_url
    assert all("\x00" not in a for a in Suppression.objects.values_list("address", flat=True))


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
@given(body=st.one_of(st.binary(max_size=600), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_body_is_answered_with_200_or_400(client, provider, body):
    before = EmailEvent.objects.count()
    check(payloads.post_raw(client, provider, body), before)


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
@given(data=st.data())
def test_documented_payloads_with_generated_fields_never_500(client, provider, data):
    payload = data.draw(documented(provider))
    before = EmailEvent.objects.count()
    check(payloads.post_json(client, provider, payload), before)
