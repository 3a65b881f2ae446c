"""Expired-session cleanup as range DELETEs in keyset chunks, on PostgreSQL and SQLite."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.accounts.sessions import sessions_expired_delete

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_chunks_delete_every_expired_session_even_with_ties_at_a_chunk_edge_and_keep_the_rest():
    now = timezone.now()
    days = [-9, -8, -8, -8, -5, -3, -2, -1, 1, 2, 30]  # three sessions expired at the same time
    Session.objects.bulk_create(
        Session(session_key=f"k{i:030d}", session_data="e30:x", expire_date=now + dt.timedelta(d))
        for i, d in enumerate(days)
    )
    reported = []
    assert sessions_expired_delete(batch_size=2, progress=reported.append) == 8
    assert reported == sorted(reported) and reported[-1] == 8 and len(reported) >= 4
    assert sorted(Session.objects.values_list("expire_date", flat=True)) == [
        now + dt.timedelta(d) for d in (1, 2, 30)
    ]
    assert sessions_expired_delete(batch_size=2) == 0
