"""The outbox's email message: Django's, with `List-Unsubscribe` written as RFC 2369 wants it.

Python's email package folds a long header with no spaces (a signed unsubscribe URL) into RFC
2047 encoded-words when it serializes the message (`=?utf-8?q?=3Chttp...?=`); Gmail and Yahoo
then cannot read the header. Here it is stored raw, one `<uri>` per line, folded only after
each comma, and the message's policy keeps raw headers as they are.
"""

import re

from django.core.mail import EmailMultiAlternatives

LIST_UNSUBSCRIBE = "List-Unsubscribe"
_URI = re.compile(r"<[^<>\s]+>")


class OutboxMessage(EmailMultiAlternatives):
    """An email of the outbox; anymail's HTTP providers read `extra_headers` as before."""

    def message(self, *, policy=None):
        # Kept out of Django's build: parsing the long header there, only to replace it, cost
        # as much as building the rest of the headers.
        raw = self.extra_headers.pop(LIST_UNSUBSCRIBE, None)
        try:
            msg = super().message(**({} if policy is None else {"policy": policy}))
        finally:
            if raw is not None:
                self.extra_headers[LIST_UNSUBSCRIBE] = raw
        uris = _URI.findall(str(raw or ""))
        if uris:
            # set_raw skips header parsing; refold_source="none" keeps the lines on output
            # (each is far below the 998-character limit of RFC 5322).
            msg.set_raw(LIST_UNSUBSCRIBE, ",\n ".join(uris))
            msg.policy = msg.policy.clone(refold_source="none")
        return msg
