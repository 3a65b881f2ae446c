"""What every provider's batch module does: build each message as anymail would, post them in
one call, and read one answer per message.

| what happened to the call                         | raised / returned                         |
| ------------------------------------------------- | ----------------------------------------- |
| not sent (no connection, 408, 429, 5xx)           | TransientDeliveryError: retry them all    |
| sent, answer lost (dropped, timed out, unreadable) | ResponseLost: each may have been accepted |
| the batch refused as a whole (400, 422)           | each message sent alone, answered alone   |
| the call refused (401, 403...)                    | PermanentDeliveryError: fail them all     |
| answered                                          | one Answer per message, in order          |
"""

import json
from dataclasses import dataclass

import requests
from urllib3.exceptions import NewConnectionError

from ..exceptions import PermanentDeliveryError, TransientDeliveryError

RETRYABLE = {408, 429} | set(range(500, 600))


@dataclass(frozen=True)
class Answer:
    """The provider's word on one message."""

    message_id: str = ""
    error: str = ""  # empty: accepted
    transient: bool = False


class ResponseLost(TransientDeliveryError):
    """The call was sent but no readable answer came back: each of its messages may or may
    not have been accepted."""


class BatchSender:
    """Posts messages to one provider; subclasses name the batch endpoint and read answers."""

    batch_endpoint = ""
    max_batch = 1
    # The provider drops a repeated call with the same idempotency key: a batch whose answer
    # was lost is sent again at once (same key) instead of leaving its emails in doubt.
    idempotent = False
    LOST_ANSWER_TRIES = 3

    def __init__(self, backend):
        self.backend = backend  # anymail's backend: settings, API URL, session, timeout

    def send(self, messages: list) -> list[Answer]:
        """Up to `max_batch` messages in one call; an Answer for each, in order."""
        for attempt in range(1, self.LOST_ANSWER_TRIES + 1):
            try:
                return self._send(messages)
            except ResponseLost:
                if not self.idempotent or attempt == self.LOST_ANSWER_TRIES:
                    raise
        raise AssertionError("unreachable")

    def _send(self, messages: list) -> list[Answer]:
        payloads = [
            self.backend.build_message_payload(m, self.backend.send_defaults) for m in messages
        ]
        if len(messages) == 1:
            params = payloads[0].get_request_params(self.backend.api_url)
            response = self._post(params["url"], params["data"], params["headers"])
            return [self._read(response, single=True)[0]]
        bodies = [json.loads(payload.serialize_data()) for payload in payloads]
        params = payloads[0].get_request_params(self.backend.api_url)  # auth, content type
        headers = {**params["headers"], **self.batch_headers(messages)}
        url = self.backend.api_url.rstrip("/") + "/" + self.batch_endpoint
        response = self._post(url, json.dumps(bodies, ensure_ascii=False).encode(), headers)
        if response.status_code in (400, 422):  # the batch as a whole: find who is refused
            return [self._send([message])[0] for message in messages]
        if 400 <= response.status_code < 500 and response.status_code not in RETRYABLE:
            raise PermanentDeliveryError(self._said(response))  # e.g. a wrong API key
        answers = self._read(response, single=False)
        if len(answers) != len(messages):
            raise ResponseLost(
                f"{len(answers)} answers for {len(messages)}: {self._said(response)}"
            )
        return answers

    def batch_headers(self, messages: list) -> dict[str, str]:
        """Headers of a batch call, over the first message's (e.g. its idempotency key)."""
        return {}

    def answers(self, response: requests.Response, *, single: bool) -> list[Answer]:
        """The answers a response gives (a single send's or a batch's documented shape)."""
        raise NotImplementedError

    def _read(self, response: requests.Response, *, single: bool) -> list[Answer]:
        if response.status_code in RETRYABLE:
            raise TransientDeliveryError(self._said(response))
        try:
            return self.answers(response, single=single)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            raise ResponseLost(f"unreadable answer: {self._said(response)}") from error

    def _post(self, url: str, data, headers: dict) -> requests.Response:
        try:
            return self.backend.session.post(
                url, data=data, headers=headers, timeout=self.backend.timeout
            )
        except requests.ConnectionError as error:
            if _never_connected(error):
                raise TransientDeliveryError(f"could not connect: {error}") from error
            raise ResponseLost(f"connection lost: {error}") from error
        except requests.RequestException as error:  # a timeout after sending, a broken answer
            raise ResponseLost(f"{type(error).__name__}: {error}") from error

    def _said(self, response: requests.Response) -> str:
        return f"{self.backend.esp_name} answered {response.status_code}: {response.text[:300]}"


def _never_connected(error: requests.ConnectionError) -> bool:
    """A connection that was never made: nothing was sent."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)
