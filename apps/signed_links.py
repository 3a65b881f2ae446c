"""Signed tokens for links in emails, made so that no spam filter reads one as a Bitcoin
address.

SpamAssassin's `__BITCOIN_ID` body rule (PDS_BTC_ID and the BITCOIN_* metas) takes a word of
30-35 base58 characters starting with 1 or 3 for a wallet address. A signature of
`django.core.signing` is base64 with `-` in it, and about one token in 2,500 holds such a word
between two of them: the email then carries a spam point for a link. A token that does is
signed again with a nonce in its payload (readers ignore the extra key), so none goes out.
"""

import re

from django.core import signing

# SpamAssassin 4's __BITCOIN_ID (72_active.cf), its plain-address branches.
_LOOKS_LIKE_BITCOIN = re.compile(
    r"\b(?<!=)(?:[13](?:(?:[-_=\s][a-km-zA-HJ-NP-Z1-9]){29,34}|[a-km-zA-HJ-NP-Z1-9]{29,34})"
    r"|bc1[acdefghjklmnpqrstuvwxyz234567890]{30,90})\b"
)


def looks_like_bitcoin(text: str) -> bool:
    return _LOOKS_LIKE_BITCOIN.search(text) is not None


def dumps(payload: dict, *, salt: str) -> str:
    """`signing.dumps(payload, salt=salt)`, signed again with a nonce while it would read as
    a Bitcoin address (a few tries at most: each is a new signature)."""
    token = signing.dumps(payload, salt=salt)
    nonce = 0
    while looks_like_bitcoin(token):
        nonce += 1
        token = signing.dumps({**payload, "_n": nonce}, salt=salt)
    return token
