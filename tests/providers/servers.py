"""Local servers for the email providers' HTTP APIs, as each documents them: endpoints, auth
headers, request and answer shapes, per-message errors, 429 with Retry-After, 5xx, and a
configurable latency. Nothing leaves the machine: anymail's backends and our batch senders are
pointed at them with `ANYMAIL["<ESP>_API_URL"]`.

- Postmark (postmarkapp.com/developer/api/email-api): `POST /email` (one message object) and
  `POST /email/batch` (an array of up to 500), header `X-Postmark-Server-Token`; each message's
  own answer `{"To", "SubmittedAt", "MessageID", "ErrorCode", "Message"}`, ErrorCode 0 when
  accepted, 406 for an inactive recipient, 300 for an invalid one; a whole-request error is
  one object (422 for more than 500 messages, 401 for a wrong token).
- Resend (resend.com/docs/api-reference/emails): `POST /emails` answers `{"id"}`,
  `POST /emails/batch` (an array of up to 100) answers `{"data": [{"id"}, ...]}`; auth
  `Authorization: Bearer re_...`; an `Idempotency-Key` header makes a repeated request answer
  the first result without sending again (24 h); errors `{"statusCode", "name", "message"}`
  (422 validation_error, 429 rate_limit_exceeded with `retry-after`).
- SendGrid (v3 `POST /v3/mail/send`): up to 1,000 personalizations sharing one content;
  `Authorization: Bearer SG....`; 202 with an empty body and `X-Message-Id`; errors
  `{"errors": [{"message", "field", "help"}]}`.

Faults (`server.faults`): `refuse` (addresses answered as inactive/invalid), `rate_limit`
(how many next requests answer 429 with Retry-After), `fail` (how many answer 503), `drop`
(how many are accepted, then the connection is closed before any answer: the sender cannot
know), and `latency` (seconds per request). `server.delivered` lists what was accepted,
one dict per message: {"to", "subject", "message_id", "idempotency_key", "body"}.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import free_port

TOKENS = {"postmark": "pm-test-token", "resend": "re_test_key", "sendgrid": "SG.test-key"}


@dataclass
class Faults:
    refuse: set[str] = field(default_factory=set)
    rate_limit: int = 0
    fail: int = 0
    drop: int = 0
    latency: float = 0.0


class ProviderServer:
    """One provider's API on 127.0.0.1, in a thread of the test process."""

    def __init__(self, provider: str, latency: float = 0.0):
        self.provider = provider
        self.faults = Faults(latency=latency)
        self.delivered: list[dict] = []
        self.requests: list[tuple[str, int]] = []  # (path, messages in it)
        self.received = threading.Event()  # set when a request arrives, before its latency
        self._idempotent: dict[str, tuple[int, dict, bytes]] = {}
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # What anymail's <ESP>_API_URL setting takes (SendGrid's includes its version).
        self.api_url = self.url + ("v3/" if provider == "sendgrid" else "")
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def to(self, address: str) -> list[dict]:
        with self.lock:
            return [m for m in self.delivered if m["to"] == address]

    def take_fault(self, name: str) -> bool:
        with self.lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
            return False


class _Handler(BaseHTTPRequestHandler):
    server_state: ProviderServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        state = self.server_state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state.received.set()
        if state.faults.latency:
            time.sleep(state.faults.latency)
        route = ROUTES.get((state.provider, self.path.split("?")[0]))
        if route is None:
            return self._answer(404, {"message": f"no route {self.path}"})
        if not _authorized(state.provider, self.headers):
            return self._answer(401, _error(state.provider, 401, "Invalid API token."))
        if state.take_fault("rate_limit"):
            answer = _error(state.provider, 429, "Too many requests.")
            return self._answer(429, answer, {"Retry-After": "1"})
        if state.take_fault("fail"):
            return self._answer(503, _error(state.provider, 503, "Service unavailable."))
        try:
            payload = json.loads(body)
        except ValueError:
            return self._answer(400, _error(state.provider, 400, "The body is not JSON."))
        key = self.headers.get("Idempotency-Key")
        if key and key in state._idempotent:  # Resend: the first answer, nothing sent again
            status, answer, _ = state._idempotent[key]
            return self._answer(status, answer)
        status, answer, extra = route(state, payload, key or "")
        if key:
            state._idempotent[key] = (status, answer, body)
        if state.take_fault("drop"):  # accepted, but the answer never arrives
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        return self._answer(status, answer, extra)

    def _answer(self, status: int, answer, headers: dict | None = None) -> None:
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _authorized(provider: str, headers) -> bool:
    if provider == "postmark":
        return headers.get("X-Postmark-Server-Token") == TOKENS["postmark"]
    return headers.get("Authorization") == f"Bearer {TOKENS[provider]}"


def _error(provider: str, status: int, message: str):
    if provider == "postmark":
        return {"ErrorCode": {401: 10, 422: 402}.get(status, 0) or status, "Message": message}
    if provider == "resend":
        names = {401: "missing_api_key", 422: "validation_error", 429: "rate_limit_exceeded"}
        return {
            "statusCode": status,
            "name": names.get(status, "application_error"),
            "message": message,
        }
    return {"errors": [{"message": message, "field": None, "help": None}]}


def _deliver(state: ProviderServer, *, to: str, subject: str, body: str, key: str = "") -> str:
    message_id = str(uuid.uuid4())
    with state.lock:
        state.delivered.append(
            {
                "to": to,
                "subject": subject,
                "message_id": message_id,
                "idempotency_key": key,
                "body": body,
            }
        )
    return message_id


# -- Postmark -------------------------------------------------------------------------------


def _postmark_one(state: ProviderServer, message) -> dict:
    if not isinstance(message, dict) or not message.get("To") or not message.get("From"):
        return {"ErrorCode": 300, "Message": "Invalid 'To' address: ''."}
    to = message["To"]
    submitted = time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())
    if _address(to) in state.faults.refuse:
        return {
            "ErrorCode": 406,
            "Message": "You tried to send to recipient(s) that have been "
            "marked as inactive. Found inactive addresses: " + _address(to) + ".",
            "To": to,
            "SubmittedAt": submitted,
        }
    message_id = _deliver(
        state,
        to=_address(to),
        subject=message.get("Subject", ""),
        body=message.get("HtmlBody") or message.get("TextBody") or "",
    )
    return {
        "To": to,
        "SubmittedAt": submitted,
        "MessageID": message_id,
        "ErrorCode": 0,
        "Message": "OK",
    }


def postmark_email(state, payload, key):
    state.requests.append(("/email", 1))
    answer = _postmark_one(state, payload)
    return (200 if answer["ErrorCode"] == 0 else 422), answer, {}


def postmark_batch(state, payload, key):
    if not isinstance(payload, list) or len(payload) > 500:
        return 422, {"ErrorCode": 402, "Message": "Provide an array of up to 500 messages."}, {}
    state.requests.append(("/email/batch", len(payload)))
    return 200, [_postmark_one(state, message) for message in payload], {}


# -- Resend ---------------------------------------------------------------------------------


def _resend_invalid(message) -> str:
    if not isinstance(message, dict):
        return "Each email must be an object."
    if not message.get("from") or not message.get("to") or not message.get("subject"):
        return "Missing `from`, `to` or `subject` field."
    return ""


def _resend_one(state, message, key: str) -> str:
    to = message["to"][0] if isinstance(message["to"], list) else message["to"]
    return _deliver(
        state,
        to=_address(to),
        subject=message["subject"],
        body=message.get("html") or message.get("text") or "",
        key=key,
    )


def resend_email(state, payload, key):
    problem = _resend_invalid(payload)
    if problem:
        return 422, _error("resend", 422, problem), {}
    state.requests.append(("/emails", 1))
    to = payload["to"][0] if isinstance(payload["to"], list) else payload["to"]
    if _address(to) in state.faults.refuse:
        return 422, _error("resend", 422, f"Invalid `to` field: {to}."), {}
    return 200, {"id": _resend_one(state, payload, key)}, {}


def resend_batch(state, payload, key):
    """Strict validation (Resend's default): one invalid email refuses the whole batch."""
    if not isinstance(payload, list) or not 0 < len(payload) <= 100:
        return 422, _error("resend", 422, "Provide an array of 1 to 100 emails."), {}
    for index, message in enumerate(payload):
        problem = _resend_invalid(message)
        to = message.get("to") if isinstance(message, dict) else None
        address = _address(to[0] if isinstance(to, list) and to else to or "")
        if problem or address in state.faults.refuse:
            return 422, _error("resend", 422, problem or f"emails[{index}]: invalid `to`."), {}
    state.requests.append(("/emails/batch", len(payload)))
    return 200, {"data": [{"id": _resend_one(state, message, key)} for message in payload]}, {}


# -- SendGrid -------------------------------------------------------------------------------


def sendgrid_send(state, payload, key):
    personalizations = payload.get("personalizations") if isinstance(payload, dict) else None
    if not personalizations or len(personalizations) > 1000:
        return 400, _error("sendgrid", 400, "personalizations: 1 to 1,000 required."), {}
    content = {c.get("type"): c.get("value", "") for c in payload.get("content", [])}
    state.requests.append(("/v3/mail/send", len(personalizations)))
    for person in personalizations:
        for to in person.get("to", []):
            body = content.get("text/html") or content.get("text/plain") or ""
            for tag, value in (person.get("substitutions") or {}).items():
                body = body.replace(tag, value)
            _deliver(
                state,
                to=to["email"].lower(),
                body=body,
                subject=person.get("subject") or payload.get("subject", ""),
            )
    return 202, None, {"X-Message-Id": uuid.uuid4().hex[:22]}


def _address(value: str) -> str:
    value = value or ""
    if "<" in value:
        value = value.split("<", 1)[1].split(">", 1)[0]
    return value.strip().lower()


ROUTES = {
    ("postmark", "/email"): postmark_email,
    ("postmark", "/email/batch"): postmark_batch,
    ("resend", "/emails"): resend_email,
    ("resend", "/emails/batch"): resend_batch,
    ("sendgrid", "/v3/mail/send"): sendgrid_send,
}
