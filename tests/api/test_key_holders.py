"""A key works only while the person it acts for is active and still in its organization."""

import pytest
from django.utils import timezone

from apps.accounts.models import Membership
from apps.api.keys import api_key_create
from apps.summaries.models import SummarizationRequest
from tests.api.conftest import call
from tests.factories import make_user

pytestmark = pytest.mark.django_db
TEXT = "The edge refuses what cannot be stored. The rest is summarized and charged once. " * 2


def key_for(customer, user):
    Membership.objects.get_or_create(user=user, organization=customer["organization"])
    return api_key_create(organization=customer["organization"], name="k", user=user)[1]


@pytest.mark.embedded
def test_a_deactivated_users_keys_stop_at_once(http, customer):
    member = make_user("member@example.com", email_verified_at=timezone.now())
    key = key_for(customer, member)
    assert call(http, key, "get", "/api/v1/usage").status_code == 200
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert call(http, key, "get", "/api/v1/usage").status_code == 401
    refused = call(http, key, "post", "/api/v1/summaries", {"mode": "brief", "text": TEXT})
    assert refused.status_code == 401 and not SummarizationRequest.objects.exists()
    assert call(http, customer["key"], "get", "/api/v1/usage").status_code == 200  # the owner's


@pytest.mark.embedded
def test_the_keys_of_someone_who_left_the_organization_stop_at_once(http, customer):
    member = make_user("leaver@example.com", email_verified_at=timezone.now())
    key = key_for(customer, member)
    assert (
        call(http, key, "post", "/api/v1/summaries", {"mode": "brief", "text": TEXT}).status_code
        == 201
    )
    Membership.objects.filter(user=member).delete()
    assert call(http, key, "get", "/api/v1/usage").status_code == 401
    assert (
        call(http, key, "post", "/api/v1/summaries", {"mode": "brief", "text": TEXT}).status_code
        == 401
    )
    assert SummarizationRequest.objects.count() == 1
    Membership.objects.create(user=member, organization=customer["organization"])
    assert call(http, key, "get", "/api/v1/usage").status_code == 200  # back in: works again


@pytest.mark.embedded
def test_a_key_made_by_no_one_acts_for_the_owner_and_stops_with_the_owner(http, customer):
    key = api_key_create(organization=customer["organization"], name="ci", user=None)[1]
    assert call(http, key, "get", "/api/v1/usage").status_code == 200
    customer["user"].is_active = False
    customer["user"].save(update_fields=["is_active"])
    assert call(http, key, "get", "/api/v1/usage").status_code == 401


@pytest.mark.embedded
def test_the_account_page_says_which_keys_stopped_with_their_holder(customer, client):
    member = make_user("gone@example.com", email_verified_at=timezone.now())
    key_for(customer, member)
    Membership.objects.filter(user=member).delete()
    client.force_login(customer["user"])
    page = client.get("/accounts/").content.decode()
    assert page.count("(stopped: gone@example.com left the organization or was deactivated") == 1
    assert "stopped: owner@example.com" not in page  # the owner's own key works
