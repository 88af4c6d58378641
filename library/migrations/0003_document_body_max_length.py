import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.contrib.postgres.operations import AddConstraintNotValid, ValidateConstraint
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
    the admin) and a check constraint for every other way of writing a row.

    The constraint is added NOT VALID (a moment's lock; every write from then on is checked), then
    validated against the existing rows under a lock that lets reads and writes go on, so the running app
    keeps serving while length(body) is read for every row. On 200,000 rows of 2,000 characters, a write
    waited 1.6 s behind a plain ADD CONSTRAINT, 36 ms at most this way. PostgreSQL validates a NOT VALID
    constraint in a transaction of its own only, hence atomic = False; the check before makes the
    validation's failure unlikely (it would take a longer body written in the milliseconds between).
    """

    atomic = False

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
        AddConstraintNotValid(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("body"), BODY_MAX_LENGTH
                ),
                name="library_document_body_max_length",
                violation_error_message=f"A document's body has at most {BODY_MAX_LENGTH:,} characters.",
            ),
        ),
        ValidateConstraint(model_name="document", name="library_document_body_max_length"),
    ]
