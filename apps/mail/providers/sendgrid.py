"""SendGrid's v3 `POST /mail/send` takes up to 1,000 personalizations (recipient, subject,
headers, custom args, substitutions) that share one content. Personalized emails differ in a
few places (a name, figures, the recipient's unsubscribe link): the batch's bodies are aligned
token by token, what all of them share becomes the one content, and each place where they
differ a substitution tag whose value each personalization carries. SendGrid allows 10,000
bytes of substitutions per personalization: an email that differs more (or whose shared parts,
such as its tracking settings, differ from the others') is sent in a call of its own.

The answer is 202 with no body: each message's id is the `anymail_id` anymail puts in its
custom args (what anymail reports for a single send, and what SendGrid's events carry back).
"""

import bisect
import json
import re
import secrets
from collections import Counter

from .base import Answer, BatchSender

MAX_SUBSTITUTIONS = 10_000  # bytes per personalization (SendGrid's limit)
_TOKEN = re.compile(r"<[^>]*>|[^<\s]+|\s+")
# Per message, these go into its own personalization; the rest must be the batch's.
_OWN = ("personalizations", "subject", "headers", "custom_args", "content")


class SendGridBatch(BatchSender):
    batch_endpoint = "mail/send"
    max_batch = 1000

    def _send(self, messages: list) -> list[Answer]:
        bodies = [self._body(message) for message in messages]
        if len(messages) == 1:
            return self._post_merged(bodies[0], messages[0]) or [Answer(error="refused")]
        answers: list[Answer | None] = [None] * len(messages)
        for group in _groups(bodies):
            merged = _merged([bodies[i] for i in group])
            found = self._post_merged(merged, messages[group[0]]) if merged else None
            if found is None:  # too different, or refused as a whole: each alone
                found = [self._send([messages[i]])[0] for i in group]
            for i, answer in zip(group, found, strict=True):
                answers[i] = answer
        return answers

    def _body(self, message) -> dict:
        payload = self.backend.build_message_payload(message, self.backend.send_defaults)
        return json.loads(payload.serialize_data())

    def _post_merged(self, body: dict, first) -> list[Answer] | None:
        """Post one mail/send body; an Answer per personalization, or None when a batch of
        several was refused as a whole (400)."""
        payload = self.backend.build_message_payload(first, self.backend.send_defaults)
        headers = payload.get_request_params(self.backend.api_url)["headers"]
        url = self.backend.api_url.rstrip("/") + "/" + self.batch_endpoint
        response = self._post(url, json.dumps(body, ensure_ascii=False).encode(), headers)
        self._read(response, single=False)  # raises on 408, 429, 5xx
        people = body["personalizations"]
        if response.ok:
            ids = [str(p.get("custom_args", {}).get("anymail_id", "")) for p in people]
            return [Answer(message_id=found) for found in ids]
        if response.status_code == 400 and len(people) > 1:
            return None
        return [Answer(error=self._said(response))] * len(people)

    def answers(self, response, *, single):
        return []  # read by _post_merged


def _groups(bodies: list[dict]) -> list[list[int]]:
    """Indexes of the bodies that share everything but their own parts."""
    groups: dict[str, list[int]] = {}
    for index, body in enumerate(bodies):
        shared = {k: v for k, v in body.items() if k not in _OWN}
        groups.setdefault(json.dumps(shared, sort_keys=True), []).append(index)
    return list(groups.values())


def _merged(bodies: list[dict]) -> dict | None:
    """One mail/send body for these messages, or None when their contents differ too much."""
    salt = secrets.token_hex(4)
    kinds = [c["type"] for c in bodies[0]["content"]]
    if any([c["type"] for c in b["content"]] != kinds for b in bodies):
        return None
    content, values = [], [{} for _ in bodies]
    for n, kind in enumerate(kinds):
        texts = [b["content"][n]["value"] for b in bodies]
        shared, slots = skeleton(texts, tag=f"-sg{salt}c{n}s")
        content.append({"type": kind, "value": shared})
        for own, found in zip(values, slots, strict=True):
            own.update(found)
    if any(len(json.dumps(v).encode()) > MAX_SUBSTITUTIONS for v in values):
        return None
    personalizations = [
        {
            **b["personalizations"][0],
            "subject": b.get("subject", ""),
            "substitutions": v,
            "headers": b.get("headers", {}),
            "custom_args": {
                **b.get("custom_args", {}),
                **b["personalizations"][0].get("custom_args", {}),
            },
        }
        for b, v in zip(bodies, values, strict=True)
    ]
    shared = {k: v for k, v in bodies[0].items() if k not in _OWN}
    return {**shared, "personalizations": personalizations, "content": content}


def skeleton(texts: list[str], *, tag: str) -> tuple[str, list[dict[str, str]]]:
    """What all `texts` share, with a tag `{tag}{n}-` where they differ, and for each text
    the values of those tags that give it back."""
    seqs = [_TOKEN.findall(text) for text in texts]
    ref = seqs[0]
    positions = [_positions(ref, seq) for seq in seqs]  # ref index -> index in each text
    anchors = [i for i in range(len(ref)) if all(i in p for p in positions)]
    shared, slots = [], [{} for _ in texts]
    previous = -1
    for anchor in [*anchors, len(ref)]:
        pieces = [
            "".join(seq[_after(p, previous) : p.get(anchor, len(seq))])
            for seq, p in zip(seqs, positions, strict=True)
        ]
        if any(piece != pieces[0] for piece in pieces):
            name = f"{tag}{len(shared)}-"
            shared.append(name)
            for own, piece in zip(slots, pieces, strict=True):
                own[name] = piece
        else:
            shared.append(pieces[0])
        if anchor < len(ref):
            shared.append(ref[anchor])
        previous = anchor
    return "".join(shared), slots


def _positions(ref: list[str], seq: list[str]) -> dict[int, int]:
    """Which token of `seq` each token of `ref` is, where they align: a patience diff (common
    ends, then tokens found once in each side as anchors, in order, recursively), fast on
    texts that differ in a few places. difflib's matcher took seconds a pair on an email's
    thousands of repeated tags."""
    found: dict[int, int] = {}
    _align(ref, 0, len(ref), seq, 0, len(seq), found, depth=0)
    return found


def _align(a, alo, ahi, b, blo, bhi, found: dict[int, int], depth: int) -> None:
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        found[alo] = blo
        alo, blo = alo + 1, blo + 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        found[ahi] = bhi
    if alo >= ahi or blo >= bhi or depth > 32:
        return
    anchors = _unique_in_order(a, alo, ahi, b, blo, bhi)
    for i, j in anchors:
        _align(a, alo, i, b, blo, j, found, depth + 1)
        found[i] = j
        alo, blo = i + 1, j + 1
    if anchors:
        _align(a, alo, ahi, b, blo, bhi, found, depth + 1)


def _unique_in_order(a, alo, ahi, b, blo, bhi) -> list[tuple[int, int]]:
    """Pairs (i, j) of tokens found once in a[alo:ahi] and once in b[blo:bhi], the longest
    run of them in the same order on both sides."""
    count_a, count_b = Counter(a[alo:ahi]), Counter(b[blo:bhi])
    where_a = {a[i]: i for i in range(alo, ahi) if count_a[a[i]] == 1}
    pairs = [(where_a[b[j]], j) for j in range(blo, bhi) if count_b[b[j]] == 1 and b[j] in where_a]
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of `pairs` (ordered by j) whose i also increase."""
    tails: list[int] = []  # index into pairs of the smallest tail of each length
    tail_values: list[int] = []  # their i, for the binary search
    before: list[int] = [-1] * len(pairs)
    for k, (i, _) in enumerate(pairs):
        n = bisect.bisect_left(tail_values, i)
        before[k] = tails[n - 1] if n else -1
        if n == len(tails):
            tails.append(k)
            tail_values.append(i)
        else:
            tails[n], tail_values[n] = k, i
    chain, k = [], tails[-1] if tails else -1
    while k >= 0:
        chain.append(pairs[k])
        k = before[k]
    return chain[::-1]


def _after(positions: dict[int, int], anchor: int) -> int:
    return 0 if anchor < 0 else positions[anchor] + 1
