"""The outbox's email message: Django's, with `List-Unsubscribe` written as RFC 2369 wants it,
and its headers built with one header class per name instead of one per header.

Python's email package folds a long header with no spaces (a signed unsubscribe URL) into RFC
2047 encoded-words when it serializes the message (`=?utf-8?q?=3Chttp...?=`); Gmail and Yahoo
then cannot read the header. Here it is stored raw, one `<uri>` per line, folded only after
each comma, and the message's policy keeps raw headers as they are.
"""

import binascii
import email.policy
import functools
from email.contentmanager import ContentManager, raw_data_manager, set_text_content
from email.headerregistry import HeaderRegistry
from email.policy import Policy
from email.policy import default as default_policy

from django.core.mail import EmailMultiAlternatives

from .mime import LIST_UNSUBSCRIBE, URI, wire_bytes


class ReusedHeaderClasses(HeaderRegistry):
    """The standard header registry, building each header's class once.

    `HeaderRegistry.__getitem__` creates a new class with `type()` for every header it parses,
    about 17 per outbox email, and that was a quarter of building the MIME message (measured
    with cProfile on the delivery benchmark: 31 calls and ~1 ms per email). The classes it
    returns are the same every time, so keeping them changes nothing in the output.
    """

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:  # two threads may both build it: either class is right
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_HEADERS = ReusedHeaderClasses()


def set_text_fast(msg, string, subtype="plain", charset="utf-8", cte=None, **options):
    """The standard library's text handler, with quoted-printable encoded by `binascii` (C).

    An email's HTML has lines longer than 78 characters, so the standard handler encodes it
    quoted-printable with `quoprimime`, in pure Python, after encoding a sample both ways to
    choose: that was the largest part of building an outbox email (profiled with py-spy on
    the delivery benchmark). Short-lined text, an explicit `cte` and any other option go to
    the standard handler unchanged."""
    raw = string.encode(charset)
    lines = raw.splitlines()
    short = max((len(line) for line in lines), default=0) <= msg.policy.max_line_length
    if cte is not None or any(options.values()) or short:
        return set_text_content(msg, string, subtype, charset, cte, **options)
    if len(raw.translate(None, _ASCII)) * 6 > len(raw):  # mostly non-ASCII: base64 is smaller
        return set_text_content(msg, string, subtype, charset, "base64")  # binascii already
    set_text_content(msg, "", subtype, charset, "7bit")  # its headers; the payload is ours
    body = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).decode("ascii")
    msg.set_payload(body)
    msg.replace_header("Content-Transfer-Encoding", "quoted-printable")
    return None


_ASCII = bytes(range(128))
_CONTENT = ContentManager()
_CONTENT.get_handlers.update(raw_data_manager.get_handlers)
_CONTENT.set_handlers.update(raw_data_manager.set_handlers)
_CONTENT.add_set_handler(str, set_text_fast)


@functools.cache  # a handful of policies (default, SMTP); each is kept, so its key stays valid
def with_reused_header_classes(policy: Policy) -> Policy:
    """`policy`, building its headers with `ReusedHeaderClasses` and its text bodies with
    `set_text_fast`."""
    return policy.clone(header_factory=_HEADERS, content_manager=_CONTENT)


class OutboxMessage(EmailMultiAlternatives):
    """An email of the outbox; anymail's HTTP providers read `extra_headers` as before."""

    _prebuilt: tuple[Policy, "_Prebuilt"] | None = None

    def prebuild(self, policy: Policy) -> None:
        """Build the message's bytes for SMTP now (Django's SMTP backend asks
        `message(policy=SMTP).as_bytes()`), so that sending only writes them. The delivery
        builds while the previous email's outcome is being committed. The outbox's usual
        shape is written directly (apps/mail/mime.py), anything else by the email package."""
        data = wire_bytes(self) if policy is email.policy.SMTP else None
        if data is None:
            built = self.message(policy=policy)
            data = built.as_bytes()
        else:
            built = None  # built only if something asks more of it than its bytes
        self._prebuilt = (policy, _Prebuilt(self, policy, built, data))

    def message(self, *, policy=None):
        if self._prebuilt is not None and self._prebuilt[0] is policy:
            return self._prebuilt[1]
        # Kept out of Django's build: parsing the long header there, only to replace it, cost
        # as much as building the rest of the headers.
        raw = self.extra_headers.pop(LIST_UNSUBSCRIBE, None)
        try:
            msg = super().message(policy=with_reused_header_classes(policy or default_policy))
        finally:
            if raw is not None:
                self.extra_headers[LIST_UNSUBSCRIBE] = raw
        uris = URI.findall(str(raw or ""))
        if uris:
            # set_raw skips header parsing; refold_source="none" keeps the lines on output
            # (each is far below the 998-character limit of RFC 5322).
            msg.set_raw(LIST_UNSUBSCRIBE, ",\n ".join(uris))
            msg.policy = msg.policy.clone(refold_source="none")
        return msg


class _Prebuilt:
    """A message whose bytes were serialized once, ahead of its sending."""

    def __init__(self, source: OutboxMessage, policy: Policy, message, data: bytes):
        self._source, self._policy, self._message, self._data = source, policy, message, data

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self._data if not args and not kwargs else self._built().as_bytes(*args, **kwargs)

    def _built(self):
        if self._message is None:
            prebuilt, self._source._prebuilt = self._source._prebuilt, None
            try:
                self._message = self._source.message(policy=self._policy)
            finally:
                self._source._prebuilt = prebuilt
        return self._message

    def __getitem__(self, name: str):
        return self._built()[name]

    def __getattr__(self, name: str):
        return getattr(self._built(), name)
