"""The API benchmark's peer: the least a django-ninja endpoint in this project must do to sell
one short summary, with none of our product around it.

    POST /bench-peer/summaries  {"mode": ..., "text": ...}  Authorization: Bearer ss_...

It authenticates the key with one query (the row by its prefix, not revoked, with its
organization; the hash compared), summarizes with the same engine, then inserts the completed
request row and charges its characters to the month's usage record in one transaction (a
conditional UPDATE: never past the limit; refused, nothing stays). It answers the same
`SummaryOut` as ours. No rate limit, no interaction log, no plan, no key-holder check, no
cache, no quota alert, no poison check: that is what ours pays for. Mounted only in the
benchmark's settings (tests/bench/settings.py -> tests/bench/peers/api_urls.py).
"""

import hashlib
import hmac

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from apps.api.models import ApiKey
from apps.api.schemas import Mode, SummaryOut
from apps.billing.models import UsageRecord
from apps.summaries.models import SummarizationRequest
from apps.summaries.services import summarize_text

peer_api = NinjaAPI(
    title="bench peer", urls_namespace="bench_peer", docs_url=None, openapi_url=None
)


class KeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        parts = token.split("_")  # ss_<prefix>_<secret>
        if len(parts) < 3 or parts[0] != "ss":
            return None
        row = (
            ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True)
            .select_related("organization")
            .first()
        )
        digest = hashlib.sha256(token.encode()).hexdigest()
        if row is None or not hmac.compare_digest(row.hashed_key, digest):
            return None
        return row


class PeerIn(Schema):
    mode: Mode
    text: str


@peer_api.post("/summaries", response={201: SummaryOut}, auth=KeyAuth())
def summary_create(request: HttpRequest, body: PeerIn):
    key: ApiKey = request.auth
    summary = summarize_text(text=body.text, mode=body.mode)
    characters, now = len(body.text), timezone.now()
    with transaction.atomic():
        item = SummarizationRequest.objects.create(
            organization_id=key.organization_id,
            user_id=key.created_by_id,
            mode=body.mode,
            input_characters=characters,
            output_characters=len(summary),
            status=SummarizationRequest.Status.COMPLETED,
            summary=summary,
            created_at=now,
            completed_at=now,
        )
        charged = UsageRecord.objects.filter(
            organization_id=key.organization_id,
            period_start=UsageRecord.month_of(now),
            characters_used__lte=F("characters_limit") - characters,
        ).update(characters_used=F("characters_used") + characters, updated_at=now)
        if not charged:
            raise HttpError(402, "Not enough characters left this month.")
    return 201, {
        "id": item.pk,
        "status": item.status,
        "mode": item.mode,
        "input_characters": characters,
        "output_characters": len(summary),
        "summary": summary,
        "summary_url": None,
        "document_id": None,
        "error": None,
        "created_at": now,
        "completed_at": now,
    }
