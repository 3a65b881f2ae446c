# ConsoleAccess gets an (empty) table: the admin's "view on site" shortcut follows any content
# type to its rows, and a missing table there was a 500 (found by tests/fuzz/test_admin.py).

from django.db import migrations


def create_table(apps, schema_editor):
    schema_editor.create_model(apps.get_model("console", "ConsoleAccess"))


def drop_table(apps, schema_editor):
    schema_editor.delete_model(apps.get_model("console", "ConsoleAccess"))


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0003_audit_os_user"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="consoleaccess",
            options={
                "default_permissions": (),
                "permissions": [
                    ("send_test_email", "Can send test emails from the email studio"),
                    ("operate_tasks", "Can retry, revoke and run tasks, pause jobs and clear locks"),
                ],
            },
        ),
        migrations.RunPython(create_table, drop_table),
    ]
