from django.contrib.auth.management import create_permissions
from django.db import migrations

from apps.console.roles import ROLES, roles_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate): make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps=apps)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("analytics", "0001_initial"),
        ("billing", "0002_quota_alert"),
        ("jobs", "0001_initial"),
        ("mail", "0001_initial"),
        ("summaries", "0002_summaryarchive"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
