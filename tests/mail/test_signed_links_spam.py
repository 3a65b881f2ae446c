"""No email link reads as a Bitcoin address to SpamAssassin (its __BITCOIN_ID body rule,
PDS_BTC_ID): about one plain `signing.dumps` token in 2,500 did, and the email QA then failed
the quota alert, the renewal reminder and the payment notice of that second (fresh clone of
5dc95d8). At such a moment the link is signed again, and it still unsubscribes."""

import itertools
from unittest import mock

import pytest
from django.core import signing

from apps.mail.models import EmailPreference
from apps.mail.services import unsubscribe_url
from apps.mail.tokens import UNSUBSCRIBE_SALT
from apps.signed_links import looks_like_bitcoin

ADDRESS, CATEGORY = "ada@example.com", "alerts"


def a_second_whose_plain_token_reads_as_bitcoin() -> float:
    payload = {"a": ADDRESS, "c": CATEGORY}
    for second in itertools.count(1_790_000_000):
        with mock.patch("time.time", return_value=float(second)):
            if looks_like_bitcoin(signing.dumps(payload, salt=UNSUBSCRIBE_SALT)):
                return float(second)
    raise AssertionError("unreachable")


def test_the_pattern_is_spamassassins():
    assert looks_like_bitcoin("pay 1BoatSLRHtKNngkdXEeobR76b53LETtpyT now")
    assert looks_like_bitcoin("x-3mGKrBKQGUhZRFeAdSFBv4T5Xcvhtnb-y")  # a signature's piece
    assert not looks_like_bitcoin("3mGKrBKQGUhZRFeAdSFBv4T5Xcvhtnb0")  # a 0 is not base58
    assert not looks_like_bitcoin("x-3mGKrBKQGUhZRFeAdSFBv4T5Xcvhtnbuuuuuuuuu-y")  # too long


@pytest.mark.embedded
@pytest.mark.django_db
def test_an_unsubscribe_link_signed_at_an_unlucky_second_does_not_look_like_bitcoin(client):
    second = a_second_whose_plain_token_reads_as_bitcoin()
    with mock.patch("time.time", return_value=second):
        url = unsubscribe_url(address=ADDRESS, category=CATEGORY)
    assert not looks_like_bitcoin(url), url
    with mock.patch("time.time", return_value=second + 60):  # read a minute later
        done = client.post(
            url.removeprefix("http://127.0.0.1:8000"), {"List-Unsubscribe": "One-Click"}
        )
    assert done.status_code == 200 and b"unsubscribed" in done.content
    preference = EmailPreference.objects.get()
    assert (preference.address, preference.category, preference.subscribed) == (
        ADDRESS,
        CATEGORY,
        False,
    )
