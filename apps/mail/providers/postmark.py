"""Postmark's batch endpoint: `POST /email/batch`, an array of up to 500 message objects (the
same objects `POST /email` takes), answered with one result per message in the same order:
`{"ErrorCode": 0, "MessageID", "To", "SubmittedAt", "Message": "OK"}` when accepted, another
ErrorCode (406 inactive recipient, 300 invalid address, ...) when that message alone is
refused. A single send answers one such object (422 when refused)."""

from .base import Answer, BatchSender


class PostmarkBatch(BatchSender):
    batch_endpoint = "email/batch"
    max_batch = 500

    def answers(self, response, *, single):
        found = response.json()
        return [_answer(item) for item in ([found] if single else found)]


def _answer(item: dict) -> Answer:
    code = item.get("ErrorCode", 0)
    if code == 0:
        return Answer(message_id=str(item["MessageID"]))
    return Answer(error=f"Postmark error {code}: {item.get('Message', '')}"[:500])
