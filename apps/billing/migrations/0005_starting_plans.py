"""The plans a deployment starts with, so a fresh install's customers are not refused (402).

Created only where absent (a plan with the same code is left as staff or `seed_demo` made it);
staff edit them in the console afterwards. A frozen copy of the figures `seed_demo` uses
(apps/summaries/demo/customers.py): a migration must not change when the code does.
Reversing removes the plans no subscription uses (one in use is kept: it is billing history).
"""

from decimal import Decimal

from django.db import migrations

STARTING_PLANS = [
    ("free", "Free", 10_000, Decimal("0.00")),
    ("pro", "Pro", 1_000_000, Decimal("29.00")),
    ("business", "Business", 10_000_000, Decimal("199.00")),
]


def plans_create(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, name, characters, price in STARTING_PLANS:
        Plan.objects.get_or_create(
            code=code, defaults={"name": name, "monthly_characters": characters, "price": price}
        )


def plans_remove(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    codes = [code for code, *_ in STARTING_PLANS]
    Plan.objects.filter(code__in=codes, subscriptions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_billing_lifecycle")]

    operations = [migrations.RunPython(plans_create, plans_remove)]
