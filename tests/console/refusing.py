"""A provider for the console's tests: anymail's test backend, refusing the listed addresses
with a permanent error (a 422, as a provider answers an address it will not take)."""

import json

import requests
from anymail.exceptions import AnymailAPIError

REFUSED: set[str] = set()


def _refusal(address: str) -> AnymailAPIError:
    response = requests.Response()
    response.status_code, response.reason = 422, "Unprocessable Entity"
    response._content = json.dumps({"ErrorCode": 406, "Message": f"{address} is inactive"}).encode()
    return AnymailAPIError(
        f"{address} is inactive", status_code=422, response=response, esp_name="Test"
    )


class RefusingBackend:
    """anymail's test backend (messages land in django.core.mail.outbox) that refuses
    REFUSED addresses."""

    def __new__(cls, *args, **kwargs):
        from anymail.backends.test import EmailBackend

        backend = EmailBackend(*args, **kwargs)
        original = backend.send_messages

        def send_messages(messages):
            for message in messages:
                refused = [a for a in message.to if a.lower() in REFUSED]
                if refused:
                    message.anymail_test_response = _refusal(refused[0])
            return original(messages)

        backend.send_messages = send_messages
        return backend
