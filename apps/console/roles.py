"""The console's roles: staff groups and the permissions each one carries.

Every role reads everything (all `view_*` permissions of the project's apps); each adds what it
may change. The server checks these permissions on every action, whatever the UI shows.
"""

from django.apps import apps as global_apps

READ_APPS = ["accounts", "billing", "summaries", "mail", "jobs", "analytics", "console", "auth"]

VIEWER = "Viewer"
TEMPLATE_EDITOR = "Template editor"
SENDER = "Sender"
OPERATOR = "Operator"

ROLES: dict[str, list[str]] = {
    VIEWER: [],
    TEMPLATE_EDITOR: [
        "mail.add_emailtemplate",
        "mail.change_emailtemplate",
        "mail.add_emaillayout",
        "mail.change_emaillayout",
    ],
    SENDER: ["console.send_test_email"],
    OPERATOR: ["console.operate_tasks", "mail.add_suppression", "mail.delete_suppression"],
}


def roles_sync(*, apps=global_apps) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    views = list(
        Permission.objects.filter(
            content_type__app_label__in=READ_APPS, codename__startswith="view_"
        )
    )
    for name, extra in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(views + _permissions(Permission, extra))


def _permissions(Permission, names: list[str]) -> list:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.extend(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return found
