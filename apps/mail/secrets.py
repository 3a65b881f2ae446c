"""Secret values of an email (reset and verification links), kept apart from what staff see.

A sender marks them (`send_email(..., secrets={"reset_url": ...})`). The outbox row keeps
`•••` in their place in the context, their names in `secret_keys`, and the values encrypted
(Fernet, a key derived from SECRET_KEY; SECRET_KEY_FALLBACKS still decrypt after a rotation)
until the email is delivered or the values expire. A dedupe key of such an email is hashed.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .exceptions import MailError

MASK = "•••"
_INFO = b"summasaas.mail.secrets.v1"


class SecretsUnreadableError(MailError, ValueError):
    """The sealed values cannot be decrypted (SECRET_KEY changed without a fallback)."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _keyring() -> MultiFernet:
    # The first key encrypts; every key (the current one, then the fallbacks) may decrypt.
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in keys])


def seal(values: dict[str, str]) -> str:
    """The values encrypted as one opaque string ("" when there are none)."""
    if not values:
        return ""
    return _keyring().encrypt(json.dumps(values).encode()).decode()


def unseal(sealed: str) -> dict[str, str]:
    """The values of `seal`; `SecretsUnreadableError` if no configured key opens them."""
    if not sealed:
        return {}
    try:
        return json.loads(_keyring().decrypt(sealed.encode()))
    except InvalidToken as error:
        raise SecretsUnreadableError(
            "The email's secret values cannot be decrypted: SECRET_KEY changed and the old key "
            "is not in SECRET_KEY_FALLBACKS. The user must ask for a new link."
        ) from error


def masked(context: dict, keys) -> dict:
    """The context with every secret key's value shown as `•••`."""
    return {**context, **dict.fromkeys(keys, MASK)}


def dedupe_digest(key: str) -> str:
    """A dedupe key that holds no secret: the same input always gives the same digest."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def redact(text: str, values) -> str:
    """`text` with each of `values` (and its URL-quoted form) replaced by `•••`."""
    from urllib.parse import quote

    for value in values:
        if value:
            for form in {value, quote(value, safe="")}:
                text = text.replace(form, MASK)
    return text
