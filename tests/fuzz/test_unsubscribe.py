"""The unsubscribe and preferences pages, fed generated tokens and bodies: never a 500.

Targets: any token on either page (GET and POST); tokens correctly signed around generated
payloads; generated form bodies posted to a real preferences link. A refused link changes
nothing; an accepted one only ever stores known categories, never turning off transactional.
"""

from urllib.parse import quote

import pytest
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from apps.mail.models import Category, EmailPreference
from apps.mail.tokens import PREFERENCES_SALT, UNSUBSCRIBE_SALT, make_preferences_token
from tests.fuzz.test_webhooks import json_values

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]
PAGES = {"unsubscribe": UNSUBSCRIBE_SALT, "preferences": PREFERENCES_SALT}
tokens = st.one_of(
    st.text(min_size=1, max_size=200),
    st.text(alphabet=st.sampled_from("abcXYZ019:-_=.\x00%é"), min_size=1, max_size=300),
    st.just("x" * 5000),
)
addresses = st.one_of(st.emails(), st.text(max_size=40), st.just("a" * 300 + "@example.com"))
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"a": st.one_of(addresses, json_values)},
        optional={"c": st.one_of(st.sampled_from(Category.values), json_values)},
    ),
)


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
    response = getattr(client, method)(f"/email/{page}/{quote(token, safe='')}/")
    check(response, before)


@pytest.mark.parametrize("page", PAGES)
@given(payload=payloads, method=st.sampled_from(["get", "post"]))
def test_signed_links_around_any_payload_are_answered_without_a_500(client, page, payload, method):
    token = signing.dumps(payload, salt=PAGES[page])
    before = EmailPreference.objects.count()
    check(getattr(client, method)(f"/email/{page}/{token}/"), before)


@given(
    form=st.dictionaries(
        st.one_of(st.sampled_from(Category.values), st.text(max_size=20)),
        st.text(max_size=20),
        max_size=6,
    )
)
def test_any_preferences_form_stores_only_known_categories(client, form):
    token = make_preferences_token(address="ada@example.com")
    response = client.post(f"/email/preferences/{token}/", form)
    assert response.status_code == 200
    stored = dict(
        EmailPreference.objects.filter(address="ada@example.com").values_list(
            "category", "subscribed"
        )
    )
    for category, subscribed in stored.items():
        assert category in Category.values and category != Category.TRANSACTIONAL
        assert subscribed == (category in form)
