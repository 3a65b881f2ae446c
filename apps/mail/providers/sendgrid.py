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
_TOKEN = re.compile(r"<[^>]*>|[^<\s]+|\s+|<")  # a "<" with no ">" after it is a token too
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
    anchors = sorted(set(positions[0]).intersection(*positions[1:]))
    # Where each text holds each anchor, between a start before the first and its end: text
    # t's own piece before anchor k is t[bounds[k - 1] + 1 : bounds[k]], and it is empty where
    # two bounds follow each other. Only the gaps some text fills are read token by token (a
    # batch of 1,000 emails has thousands of anchors and a few such gaps).
    bounds = [
        [-1, *map(p.__getitem__, anchors), len(seq)] for seq, p in zip(seqs, positions, strict=True)
    ]
    filled = set()
    for own in bounds:
        filled.update(k for k in range(1, len(own)) if own[k] - own[k - 1] != 1)
    shared, slots = [], [{} for _ in texts]
    for k in range(1, len(anchors) + 2):
        if k in filled:
            pieces = [
                "".join(seq[own[k - 1] + 1 : own[k]]) for seq, own in zip(seqs, bounds, strict=True)
            ]
            if any(piece != pieces[0] for piece in pieces):
                name = f"{tag}{len(shared)}-"
                shared.append(name)
                for own_values, piece in zip(slots, pieces, strict=True):
                    own_values[name] = piece
            else:
                shared.append(pieces[0])
        if k <= len(anchors):
            shared.append(ref[anchors[k - 1]])
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
    same = _common_run(a, alo, b, blo, min(ahi - alo, bhi - blo), step=1)
    found.update(zip(range(alo, alo + same), range(blo, blo + same), strict=True))
    alo, blo = alo + same, blo + same
    same = _common_run(a, ahi - 1, b, bhi - 1, min(ahi - alo, bhi - blo), step=-1)
    found.update(zip(range(ahi - same, ahi), range(bhi - same, bhi), strict=True))
    ahi, bhi = ahi - same, bhi - same
    if alo >= ahi or blo >= bhi or depth > 32:
        return
    anchors = _unique_in_order(a, alo, ahi, b, blo, bhi)
    for i, j in anchors:
        _align(a, alo, i, b, blo, j, found, depth + 1)
        found[i] = j
        alo, blo = i + 1, j + 1
    if anchors:
        _align(a, alo, ahi, b, blo, bhi, found, depth + 1)


def _common_run(a, i: int, b, j: int, most: int, *, step: int) -> int:
    """How many tokens from a[i] and b[j] on (backwards with step -1) are the same, at most
    `most`: slices compared whole, galloping then halving, so a long common run costs a few
    comparisons in C rather than one Python step a token."""

    def same(n: int) -> bool:
        if step == 1:
            return a[i : i + n] == b[j : j + n]
        return a[i - n + 1 : i + 1] == b[j - n + 1 : j + 1]

    known, size = 0, 1
    while known < most and same(min(known + size, most)):
        known, size = min(known + size, most), size * 2
    while size > 1 and known < most:  # the run ends within (known, known + size)
        size //= 2
        if same(min(known + size, most)):
            known = min(known + size, most)
    return known


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
