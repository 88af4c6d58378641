import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.core.management.base import CommandError
from django.db import migrations, models

# The limit as it was when this migration was written (library.models.BODY_MAX_LENGTH): a migration keeps
# its own copy, so that it means the same thing whatever the model says later.
BODY_MAX_LENGTH = 100_000


def refuse_longer_bodies(apps, schema_editor):
    """Stop with the documents to fix, rather than PostgreSQL's "violated by some row", when existing
    bodies are longer than the limit: shortening someone's text is not a migration's decision."""
    Document = apps.get_model("library", "Document")
    too_long = (
        Document.objects.annotate(body_length=django.db.models.functions.text.Length("body"))
        .filter(body_length__gt=BODY_MAX_LENGTH)
        .order_by("pk")
    )
    ids = list(too_long.values_list("pk", flat=True)[:21])
    if ids:
        listed = ", ".join(str(pk) for pk in ids[:20]) + (", ..." if len(ids) > 20 else "")
        raise CommandError(
            f"Documents with a body over {BODY_MAX_LENGTH:,} characters (ids {listed}): shorten their bodies, "
            "or raise library.models.BODY_MAX_LENGTH and this migration's copy of it, then migrate again."
        )


class Migration(migrations.Migration):
    """A document's body has at most BODY_MAX_LENGTH characters: a validator for full_clean (the mutation,
    the admin) and a check constraint for every other way of writing a row."""

    dependencies = [
        ("library", "0002_document_newest_first_index"),
    ]

    operations = [
        migrations.RunPython(refuse_longer_bodies, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="document",
            name="body",
            field=models.TextField(
                blank=True,
                max_length=BODY_MAX_LENGTH,
                validators=[django.core.validators.MaxLengthValidator(BODY_MAX_LENGTH)],
            ),
        ),
        # Checks every existing row once, under a lock that blocks writes meanwhile: the scan reads each
        # body's length, a moment for this table (see README, "Security").
        migrations.AddConstraint(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("body"), BODY_MAX_LENGTH
                ),
                name="library_document_body_max_length",
                violation_error_message=f"A document's body has at most {BODY_MAX_LENGTH:,} characters.",
            ),
        ),
    ]
