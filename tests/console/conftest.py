import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.console.roles import OPERATOR, VIEWER
from tests.factories import make_user


def staff_client(role: str) -> Client:
    user = make_user(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def operator_client(db) -> Client:
    return staff_client(OPERATOR)


@pytest.fixture
def viewer_client(db) -> Client:
    return staff_client(VIEWER)
