from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import backing_services_status, broker_warnings


@never_cache
@require_GET
def healthz(request) -> JsonResponse:
    """200 when the database and the broker answer, 503 (saying which failed) otherwise;
    `warnings` names what answers but must be fixed (a broker without persistence)."""
    status = backing_services_status()
    healthy = all(value == "ok" for value in status.values())
    warnings = broker_warnings() if healthy else []
    return JsonResponse(
        {"ok": healthy, **status, "warnings": warnings}, status=200 if healthy else 503
    )
