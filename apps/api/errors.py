"""Every API error is JSON `{"code": ..., "message": ...}` with the right status."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from apps.billing.exceptions import NoPlanError, QuotaExceededError
from apps.summaries.exceptions import (
    DocumentUnreadableError,
    QueueUnavailableError,
    UploadRejectedError,
)

from .parser import UnstorableTextError

UPLOAD_STATUS = {"too_large": 413, "unsupported_type": 415}


class ApiError(Exception):
    """An answer other than success: its status, a stable code and a sentence for people."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass(frozen=True)
class Answer:
    """What one error becomes: its status, code and message, extra headers and body keys."""

    status: int
    code: str
    message: str
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def _api_error(error: ApiError) -> Answer:
    return Answer(error.status, error.code, error.message, error.headers)


def _unauthenticated(error: AuthenticationError) -> Answer:
    return Answer(
        401,
        "unauthenticated",
        "Send a valid API key as 'Authorization: Bearer ss_...' (see your account page).",
        {"WWW-Authenticate": "Bearer"},
    )


def _invalid(error: ValidationError) -> Answer:
    errors = [
        {"loc": [str(part) for part in e.get("loc", [])], "msg": str(e.get("msg", ""))}
        for e in error.errors
    ]
    return Answer(422, "invalid_request", "The request is not valid.", extra={"errors": errors})


def _unstorable(error: UnstorableTextError) -> Answer:
    errors = [{"loc": error.loc, "msg": str(error)}]
    return Answer(422, "invalid_request", str(error), extra={"errors": errors})


def _http_error(error: HttpError) -> Answer:
    # ninja wraps whatever the body parser raised in a 400 "Cannot parse request body".
    if isinstance(error.__cause__, UnstorableTextError):
        return _unstorable(error.__cause__)
    return Answer(error.status_code, "http_error", str(error))


def _malformed_upload(error: MultiPartParserError) -> Answer:
    message = f"The upload could not be read as multipart/form-data: {error}"
    if "header size" in str(error):  # Django's 1,024-byte limit on a part's headers
        message += " A part's headers, its file name included, must fit in 1,024 bytes: "
        message += "give the file a shorter name."
    return Answer(400, "malformed_upload", message)


def _queue_down(error: QueueUnavailableError) -> Answer:
    return Answer(503, "queue_unavailable", str(error), {"Retry-After": str(error.retry_after)})


def _upload_refused(error: UploadRejectedError) -> Answer:
    return Answer(UPLOAD_STATUS.get(error.code, 400), error.code, str(error))


def _too_big(error: RequestDataTooBig) -> Answer:
    return Answer(413, "too_large", "The request body is too large.")


# Errors whose own sentence is the message: exception -> (status, code).
SAID_AS_IS = {
    QuotaExceededError: (402, "quota_exceeded"),
    NoPlanError: (402, "no_plan"),
    DocumentUnreadableError: (422, "unreadable_document"),
}
# Errors that need more than a status and a code: exception -> what it becomes.
DESCRIBED = {
    ApiError: _api_error,
    AuthenticationError: _unauthenticated,
    ValidationError: _invalid,
    UnstorableTextError: _unstorable,
    HttpError: _http_error,
    MultiPartParserError: _malformed_upload,
    QueueUnavailableError: _queue_down,
    UploadRejectedError: _upload_refused,
    RequestDataTooBig: _too_big,
}


def _as_is(status: int, code: str) -> Callable[[Exception], Answer]:
    return lambda error: Answer(status, code, str(error))


def register(api: NinjaAPI) -> None:
    """Install a handler on `api` for every error above."""
    for error_type, (status, code) in SAID_AS_IS.items():
        api.exception_handler(error_type)(_handler(api, _as_is(status, code)))
    for error_type, describe in DESCRIBED.items():
        api.exception_handler(error_type)(_handler(api, describe))


def _handler(api: NinjaAPI, describe: Callable[[Exception], Answer]):
    def handle(request: HttpRequest, error: Exception) -> HttpResponse:
        answer = describe(error)
        body = {"code": answer.code, "message": answer.message, **answer.extra}
        response = api.create_response(request, body, status=answer.status)
        for name, value in answer.headers.items():
            response[name] = value
        return response

    return handle
