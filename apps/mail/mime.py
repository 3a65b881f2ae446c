"""The outbox's usual message written straight to the bytes SMTP sends.

Built through the email package (every header parsed into objects and folded again, each body
encoded, then the generator), a personalized 15 KB email costs more CPU than rendering it:
2.3-4.7 ms against 0.2 ms here (tests/bench/test_bench_delivery.py measures the delivery it
sits in). This writer covers the one shape the outbox sends over SMTP: one recipient, a text
body and its HTML alternative, ASCII addresses and a few known headers. Anything else (an
attachment, cc, reply-to, a non-ASCII address or header, a subject word too long to fold)
gets None and goes through the email package, which stays the reference: a test parses what
both produce and compares every header and body.
"""

import binascii
import datetime as dt
import random
import re
import sys
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.core.mail.utils import DNS_NAME
from django.utils.timezone import get_current_timezone

CRLF = b"\r\n"
MAX_LINE = 78  # RFC 5322's recommended line length
# Headers the outbox sets besides the standard ones, in the order they are written.
LIST_UNSUBSCRIBE = "List-Unsubscribe"
KNOWN_HEADERS = ("X-Outbox-Id", "Message-ID", "List-Unsubscribe-Post", LIST_UNSUBSCRIBE)
URI = re.compile(r"<[^<>\s]+>")  # one of List-Unsubscribe's
# An address with nothing to quote, decode or encode: a dot-atom local part at an ASCII
# domain, alone or after a display name of plain words. The SMTP envelope reads the same
# shape without the header parser (apps/mail/backends.SMTPBackend).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*"
PLAIN_ADDRESS = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9 _-]* <(?P<named>{_ADDR_SPEC})>|(?P<bare>{_ADDR_SPEC})"
)
_PRINTABLE = re.compile(r"[ -~]*")
_ASCII = bytes(range(128))
# Control characters, and the line and paragraph separators str.splitlines() breaks at.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_WORD_BYTES = 40  # UTF-8 bytes per encoded word: "Subject: " + 68 characters < 78


def wire_bytes(message) -> bytes | None:
    """The message as SMTP sends it, or None when it is not the outbox's usual shape."""
    try:
        return _wire_bytes(message)
    except UnicodeEncodeError:  # a lone surrogate: the email package says what is wrong
        return None


def _wire_bytes(message) -> bytes | None:
    headers = _headers(message)
    if headers is None:
        return None
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    if len(html) != 1 or len(message.alternatives) != 1 or not message.body:
        return None  # (Django leaves an empty text body out: the email package's shape)
    parts = [_part(message.body, "plain"), _part(html[0], "html")]
    boundary = _boundary(parts)
    out = [
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/alternative;",
        b' boundary="' + boundary + b'"',
        *headers,
        b"",
    ]
    for part in parts:
        out += [b"--" + boundary, part]
    out.append(b"--" + boundary + b"--")
    return CRLF.join(out) + CRLF


def _headers(message) -> list[bytes] | None:
    if message.attachments or message.cc or message.bcc or message.reply_to:
        return None
    addresses = [str(message.from_email), *map(str, message.to)]
    if len(message.to) != 1 or not all(PLAIN_ADDRESS.fullmatch(a) for a in addresses):
        return None
    extra = message.extra_headers
    if not set(extra) <= set(KNOWN_HEADERS):
        return None
    values = [str(extra[name]) for name in KNOWN_HEADERS if name in extra]
    if not all(_PRINTABLE.fullmatch(value) for value in values):
        return None
    subject = _subject(str(message.subject))
    if subject is None:
        return None
    lines = [
        *subject,
        b"From: " + addresses[0].encode(),
        b"To: " + addresses[1].encode(),
        b"Date: " + _date().encode(),
    ]
    if "Message-ID" not in extra:
        lines.append(b"Message-ID: " + make_msgid(domain=DNS_NAME).encode())
    for name in KNOWN_HEADERS:
        if name == LIST_UNSUBSCRIBE and name in extra:  # one <uri> a line (RFC 2369)
            uris = URI.findall(str(extra[name]))
            if uris:
                lines.append(f"{name}: ".encode() + b",\r\n ".join(u.encode() for u in uris))
        elif name in extra:
            lines.append(f"{name}: {extra[name]}".encode())
    return lines


def _date() -> str:
    """Now, as Django dates a message: in the current time zone if EMAIL_USE_LOCALTIME."""
    zone = get_current_timezone() if settings.EMAIL_USE_LOCALTIME else dt.UTC
    return format_datetime(dt.datetime.now(zone).replace(microsecond=0))


def _subject(subject: str) -> list[bytes] | None:
    """The Subject header's lines: plain ASCII folded at spaces, else RFC 2047 words."""
    if _CONTROL.search(subject) or subject != subject.strip():
        # A line break of any kind (the email package refuses it: let it say so), another
        # control character, or spaces at an end (which it drops): its way, not ours.
        return None
    if subject.isascii():
        if not _PRINTABLE.fullmatch(subject) or "=?" in subject:
            return None  # control characters, or text a reader would take for encoded words
        return _fold(f"Subject: {subject}")
    data, words, start = subject.encode(), [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        words.append(b"=?utf-8?b?" + binascii.b2a_base64(data[start:end], newline=False) + b"?=")
        start = end
    return [b"Subject: " + words[0], *(b" " + word for word in words[1:])]


def _fold(header: str) -> list[bytes] | None:
    """An ASCII header folded before spaces into lines of at most 78 characters."""
    lines, line = [], ""
    for word in header.split(" "):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= MAX_LINE:
            line += " " + word
        else:
            lines.append(line)
            line = " " + word
        if len(line) > MAX_LINE:
            return None  # a word longer than a line: the email package encodes it
    lines.append(line)
    return [line.encode() for line in lines]


def _part(text: str, subtype: str) -> bytes:
    """One body part, headers and content, in the transfer encoding the email package picks
    for it: 7bit for short ASCII lines, base64 for mostly non-ASCII text, else quoted-printable."""
    raw = text.encode()
    lines = raw.splitlines()
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: '
    if raw.isascii() and all(len(line) <= MAX_LINE for line in lines):
        return (head + "7bit\r\n\r\n").encode() + CRLF.join(lines) + CRLF
    content = b"\n".join(lines) + b"\n"  # each line ended, as the email package does
    if len(raw.translate(None, _ASCII)) * 6 > len(raw):
        encoded = binascii.b2a_base64(content, newline=False)
        chunks = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
        return (head + "base64\r\n\r\n").encode() + CRLF.join(chunks) + CRLF
    body = binascii.b2a_qp(content, istext=True)
    return (head + "quoted-printable\r\n\r\n").encode() + body.replace(b"\n", CRLF)


def _boundary(parts: list[bytes]) -> bytes:
    """A boundary found in no part, in the email package's form."""
    while True:
        token = f"==============={random.randrange(sys.maxsize):019d}==".encode()
        if not any(token in part for part in parts):
            return token
