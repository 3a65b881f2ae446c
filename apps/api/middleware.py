"""Times every /api/v1/ call and hands it to the interaction log (buffered: no query here)."""

import time

from django.conf import settings

from apps.analytics.services import interaction_log_buffer


class InteractionLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        api_key = getattr(request, "api_key", None)
        if api_key is not None and settings.API_INTERACTION_LOG:
            noted = getattr(request, "api_interaction", {})
            interaction_log_buffer(
                organization_id=api_key.organization_id, user_id=api_key.created_by_id,
                endpoint=f"{request.method} {_route(request)}", status_code=response.status_code,
                mode=noted.get("mode", ""), input_characters=noted.get("input_characters", 0),
                output_characters=noted.get("output_characters", 0),
                response_ms=round((time.perf_counter() - started) * 1000),
                error_kind=_error_code(response),
            )  # fmt: skip
        return response


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match else request.path[:60]


def _error_code(response) -> str:
    if response.status_code < 400:
        return ""
    return {401: "unauthenticated", 402: "quota_exceeded", 403: "forbidden", 404: "not_found",
            413: "too_large", 415: "unsupported_type", 422: "invalid_request",
            429: "rate_limited"}.get(response.status_code, str(response.status_code))  # fmt: skip


class UploadSizeLimitMiddleware:
    """Refuses a request body far over MAX_UPLOAD_BYTES by its Content-Length, before reading it
    (multipart files are not bounded by DATA_UPLOAD_MAX_MEMORY_SIZE: Django would spool them)."""

    SLACK = 1024 * 1024  # multipart headers and other fields

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_BYTES + self.SLACK:
            return _too_large(request)
        return self.get_response(request)


def _too_large(request):
    from django.http import HttpResponse, JsonResponse

    message = "The request body is larger than the upload limit."
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "too_large", "message": message}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
