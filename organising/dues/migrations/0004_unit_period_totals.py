# The ledger added up per unit (and every unit below it) and ledger period, for the
# reports; filled here from the ledger already recorded.

import django.db.models.deletion
from django.db import migrations, models


def fill_from_ledger(apps, schema_editor):
    from organising.dues.totals import fill_rows

    fill_rows(
        unit_model=apps.get_model("federation", "Unit"),
        total_model=apps.get_model("dues", "UnitPeriodTotal"),
        using=schema_editor.connection,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0003_idempotency_keys_per_actor"),
        ("federation", "0004_group_sympathisers_welcome"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnitPeriodTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("period", models.DateField()),
                ("expected_cents", models.BigIntegerField(default=0)),
                ("collected_cents", models.BigIntegerField(default=0)),
                ("outstanding_cents", models.BigIntegerField(default=0)),
                ("ahead_cents", models.BigIntegerField(default=0)),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="federation.unit",
                    ),
                ),
            ],
            options={
                "verbose_name": "dues total",
                "verbose_name_plural": "dues totals",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("unit", "period"),
                        name="dues_one_total_per_unit_period",
                    )
                ],
            },
        ),
        migrations.RunPython(fill_from_ledger, migrations.RunPython.noop),
    ]
