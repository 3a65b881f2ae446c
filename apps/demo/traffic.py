"""`manage.py demo_traffic`: real HTTP calls against a running site, from the demo customers."""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
from django.utils import timezone

from apps.accounts.models import Organization
from apps.api.keys import api_key_create

WORDS = [
    "queue",
    "worker",
    "email",
    "quota",
    "invoice",
    "summary",
    "customer",
    "report",
    "plan",
    "usage",
    "console",
    "job",
    "retry",
    "deadline",
    "template",
    "provider",
    "webhook",
    "archive",
    "storage",
    "latency",
    "throughput",
    "budget",
    "forecast",
]
MODES = ["brief", "detailed", "bullet_points", "executive"]


def demo_keys() -> list[str]:
    """One fresh key per demo organization (owners verified so that the API answers)."""
    keys = []
    for organization in Organization.objects.select_related("owner").order_by("pk")[:10]:
        owner = organization.owner
        if owner.email_verified_at is None:
            owner.email_verified_at = timezone.now()
            owner.save(update_fields=["email_verified_at"])
        keys.append(api_key_create(organization=organization, name="demo traffic", user=owner)[1])
    return keys


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(sentences)
    )


def _one_call(http: httpx.Client, rng: random.Random) -> int:
    if rng.random() < 0.1:
        body = _text(rng, rng.randint(5, 40)).encode()
        response = http.post("/api/v1/documents", files={"file": ("notes.txt", body)})
        if response.status_code == 201:
            document_id = response.json()["id"]
            response = http.post(
                "/api/v1/summaries", json={"mode": rng.choice(MODES), "document_id": document_id}
            )
        return response.status_code
    if rng.random() < 0.1:
        return http.get("/api/v1/usage").status_code
    body = {"mode": rng.choice(MODES), "text": _text(rng, rng.randint(3, 60))}
    return http.post("/api/v1/summaries", json=body).status_code


def demo_traffic(
    *, base_url: str, seconds: float, threads: int = 2, log: Callable[[str], None] = print
) -> Counter:
    keys = demo_keys()
    if not keys:
        raise ValueError("No organizations: run `manage.py seed_demo` first.")
    tally: Counter = Counter()
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(n)
        clients = [
            httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {k}"}, timeout=30)
            for k in keys
        ]
        while time.monotonic() < deadline:
            try:
                status = _one_call(rng.choice(clients), rng)
            except httpx.HTTPError as error:
                status = type(error).__name__
            with lock:
                tally[status] += 1
                if sum(tally.values()) % 200 == 0:
                    log(f"{sum(tally.values())} calls so far: {dict(tally)}")
            if status == 429:
                time.sleep(0.5)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return tally
