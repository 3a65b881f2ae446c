"""The unsubscribe and preferences pages, fed generated tokens and bodies: never a 500.

Targets: any token on either page (GET and POST); tokens correctly signed around generated
payloads; generated form bodies posted to a real preferences link. Text is drawn with NULs, lone
surrogates and non-BMP characters (tests.strategies.hostile_text). A refused link changes
nothing; an accepted one only ever stores known categories, never turning off transactional.
"""

from urllib.parse import quote, urlencode

import pytest
from django.core import signing
from hypothesis import example, given
from hypothesis import strategies as st

from apps.mail.models import Category, EmailPreference
from apps.mail.tokens import PREFERENCES_SALT, UNSUBSCRIBE_SALT, make_preferences_token
from tests.fuzz.test_webhooks import json_values
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]
PAGES = {"unsubscribe": UNSUBSCRIBE_SALT, "preferences": PREFERENCES_SALT}
tokens = st.one_of(
    hostile_text(min_size=1, max_size=200),
    st.text(
        alphabet=st.sampled_from("abcXYZ019:-_=.\x00\ud800%é\U0001f600"), min_size=1, max_size=300
    ),
    st.just("x" * 5000),
)
addresses = st.one_of(
    st.emails(),
    hostile_text(max_size=40),
    st.just("a" * 300 + "@example.com"),
    st.emails().map(lambda a: "\ud800" + a),
    st.emails().map(lambda a: a + "\x00"),
)
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"a": st.one_of(addresses, json_values)},
        optional={"c": st.one_of(st.sampled_from(Category.values), json_values)},
    ),
)


def on_the_wire(text: str) -> str:
    """`text` percent-encoded as a client would send it; a lone surrogate, which UTF-8 cannot
    hold, goes as the bytes a careless encoder writes for it (`surrogatepass`)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def check(response, before: int) -> None:
    # 404: a token holding "/" or "%2F" matches no route
    assert response.status_code in (200, 400, 404, 405), (response.status_code, response.content)
    if response.status_code != 200:
        assert EmailPreference.objects.count() == before
    assert not EmailPreference.objects.filter(
        category=Category.TRANSACTIONAL, subscribed=False
    ).exists()


@pytest.mark.parametrize("page", PAGES)
@given(token=tokens, method=st.sampled_from(["get", "post", "put"]))
def test_any_token_is_answered_without_a_500(client, page, token, method):
    before = EmailPreference.objects.count()
    response = getattr(client, method)(f"/email/{page}/{on_the_wire(token)}/")
    check(response, before)


@pytest.mark.parametrize("page", PAGES)
@given(payload=payloads, method=st.sampled_from(["get", "post"]))
# A link signed around text the database cannot hold (only we sign links, but a key that leaked
# or an old bug could): refused or cleaned, never a 500.
@example(payload={"a": "ada\ud800@example.com", "c": "alerts"}, method="post")
@example(payload={"a": "ada@example.com\x00", "c": "reports"}, method="post")
def test_signed_links_around_any_payload_are_answered_without_a_500(client, page, payload, method):
    token = signing.dumps(payload, salt=PAGES[page])
    before = EmailPreference.objects.count()
    check(getattr(client, method)(f"/email/{page}/{token}/"), before)


@given(
    form=st.dictionaries(
        st.one_of(st.sampled_from(Category.values), hostile_text(max_size=20)),
        hostile_text(max_size=20),
        max_size=6,
    )
)
def test_any_preferences_form_stores_only_known_categories(client, form):
    token = make_preferences_token(address="ada@example.com")
    body = urlencode(form, encoding="utf-8", errors="surrogatepass")
    response = client.post(
        f"/email/preferences/{token}/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    stored = dict(
        EmailPreference.objects.filter(address="ada@example.com").values_list(
            "category", "subscribed"
        )
    )
    for category, subscribed in stored.items():
        assert category in Category.values and category != Category.TRANSACTIONAL
        assert subscribed == (category in form)
