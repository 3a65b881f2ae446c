import pytest

from apps.accounts.exceptions import EmailTakenError
from apps.accounts.models import Membership
from apps.accounts.services import admin_ensure, membership_add, organization_create, user_register
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_users_log_in_with_their_email_address(client):
    user_register(email="Ada@Example.COM", password="a-long-password-1")
    assert client.login(email="ada@example.com", password="a-long-password-1")


def test_signing_up_twice_with_one_address_is_refused_with_a_clear_message():
    user_register(email="ada@example.com", password="pw-123-long")
    with pytest.raises(EmailTakenError, match="already has an account"):
        user_register(email="ADA@example.com", password="pw-123-long")


def test_an_organization_starts_with_its_owner_as_a_member_and_a_unique_slug():
    owner = make_user()
    first = organization_create(name="Acme", owner=owner)
    second = organization_create(name="Acme", owner=owner)
    assert (first.slug, second.slug) == ("acme", "acme-2")
    assert first.memberships.get().role == Membership.Role.OWNER


def test_adding_a_member_twice_changes_the_role_instead_of_duplicating():
    organization = organization_create(name="Acme", owner=make_user())
    member = make_user()
    membership_add(organization=organization, user=member)
    membership_add(organization=organization, user=member, role=Membership.Role.ADMIN)
    assert organization.memberships.filter(user=member).get().role == "admin"


def test_admin_ensure_creates_a_superuser_and_resets_its_password_when_run_again(client):
    admin_ensure(email="boss@example.com", password="first-password-1")
    user, created = admin_ensure(email="boss@example.com", password="second-password-2")
    assert not created and user.is_superuser and user.is_staff
    assert client.login(email="boss@example.com", password="second-password-2")
