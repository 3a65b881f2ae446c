"""The SMTP backend's envelope addresses (apps/mail/backends.SMTPBackend): the plain shapes
skip the email package's header parser, and every address, plain or not, gets exactly what
Django's own backend gives it, or the same refusal."""

from unittest.mock import patch

from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from hypothesis import example, given
from hypothesis import strategies as st

from apps.mail.backends import SMTPBackend
from tests.strategies import hostile_text

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
atom = st.text(ATEXT, min_size=1, max_size=8)
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
spec = st.builds(
    "{}@{}".format,
    st.lists(atom, min_size=1, max_size=3).map(".".join),
    st.lists(label, min_size=1, max_size=3).map(".".join),
)
name = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,12}", fullmatch=True)
address = spec | st.builds("{} <{}>".format, name, spec)
# Near misses and hostile text: what the fast path must leave to Django.
odd = (
    address.map(lambda a: a.replace("@", "@.", 1)) | address.map(lambda a: f" {a}") | hostile_text()
)


def unconfigured(backend_class):
    """A backend without its connection settings: `prep_address` reads none of them."""
    return backend_class.__new__(backend_class)


def prepared(backend, value: str):
    try:
        return backend.prep_address(value)
    except ValueError:
        return ValueError


@given(address | odd)
@example("SummaSaaS <hello@summasaas.test>")
@example("a..b@example.com")
@example(".a@example.com")
@example("a@example-.com")
@example("Ada Lovelace <ada@xn--bcher-kva.example>")
@example('"quoted name" <ada@example.com>')
@example("ada@exa\nmple.com")
@example("ada@bücher.example")
def test_every_address_gets_what_djangos_backend_gives_it(value):
    assert prepared(unconfigured(SMTPBackend), value) == prepared(
        unconfigured(DjangoSMTPBackend), value
    )


@given(address)
def test_plain_addresses_never_reach_the_header_parser(value):
    expected = prepared(unconfigured(DjangoSMTPBackend), value)
    with patch.object(DjangoSMTPBackend, "prep_address", side_effect=AssertionError("parsed")):
        assert unconfigured(SMTPBackend).prep_address(value) == expected
