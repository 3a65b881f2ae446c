"""Resend's batch endpoint: `POST /emails/batch`, an array of up to 100 email objects,
answered `{"data": [{"id"}, ...]}` in the same order; its validation is all or nothing (one
invalid email refuses the call with a 422, then each is sent alone). A single send answers
`{"id"}`, or `{"statusCode", "name", "message"}` when refused.

Resend keeps an `Idempotency-Key` for 24 hours: a single send carries its outbox id
(apps.mail.backends.ResendBackend), a batch a key made of its emails' outbox ids, so the
same batch sent again after a lost answer is not delivered twice."""

import hashlib

from .base import Answer, BatchSender


class ResendBatch(BatchSender):
    batch_endpoint = "emails/batch"
    max_batch = 100
    idempotent = True

    def batch_headers(self, messages):
        ids = ",".join(str(getattr(m, "metadata", {}).get("outbox_id", "")) for m in messages)
        return {"Idempotency-Key": f"summasaas-batch-{hashlib.sha256(ids.encode()).hexdigest()}"}

    def answers(self, response, *, single):
        found = response.json()
        if single:
            if response.ok:
                return [Answer(message_id=str(found["id"]))]
            return [Answer(error=f"Resend {found.get('name')}: {found.get('message')}"[:500])]
        if not response.ok:
            raise ValueError(f"Resend answered {response.status_code}")
        return [Answer(message_id=str(item["id"])) for item in found["data"]]
