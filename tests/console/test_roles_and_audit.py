import pytest
from django.contrib.auth.models import Group

from apps.console.models import AuditEntry
from apps.console.roles import OPERATOR, ROLES, SENDER, TEMPLATE_EDITOR, VIEWER, roles_sync
from apps.console.services import audit_record
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def staff_in(role: str):
    user = make_user(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


@pytest.mark.embedded
def test_the_migration_creates_the_four_roles_and_every_role_reads_everything():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    for role in ROLES:
        user = staff_in(role)
        for perm in ("mail.view_outboundemail", "jobs.view_taskrun", "billing.view_invoice"):
            assert user.has_perm(perm), (role, perm)


def test_each_role_may_change_only_its_own_things():
    viewer, editor = staff_in(VIEWER), staff_in(TEMPLATE_EDITOR)
    sender, operator = staff_in(SENDER), staff_in(OPERATOR)
    assert not viewer.has_perm("mail.change_emailtemplate")
    assert not viewer.has_perm("console.operate_tasks")
    assert editor.has_perm("mail.change_emailtemplate")
    assert not editor.has_perm("console.send_test_email")
    assert sender.has_perm("console.send_test_email")
    assert not sender.has_perm("console.operate_tasks")
    assert operator.has_perm("console.operate_tasks")
    assert not operator.has_perm("mail.change_emailtemplate")


def test_syncing_roles_again_restores_a_permission_someone_removed():
    group = Group.objects.get(name=OPERATOR)
    group.permissions.remove(*group.permissions.filter(codename="operate_tasks"))
    roles_sync()
    assert staff_in(OPERATOR).has_perm("console.operate_tasks")


def test_an_audit_entry_keeps_who_what_and_before_after(admin_client):
    actor = make_user(email="op@example.com", is_staff=True)
    entry = audit_record(
        actor=actor, action="pause", target=actor, before={"paused": False}, after={"paused": True}
    )
    assert (entry.actor_email, entry.target_type, entry.target_id) == (
        "op@example.com",
        "accounts.User",
        str(actor.pk),
    )
    page = admin_client.get(f"/admin/console/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and "paused" in page.content.decode()
    assert admin_client.post(f"/admin/console/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.count() == 1
