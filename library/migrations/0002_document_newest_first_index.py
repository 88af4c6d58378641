from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """The index that serves Document's ordering (newest first), so that a page of documents is an
    index scan rather than a sort of the whole table.

    Built CONCURRENTLY: on a large table a plain CREATE INDEX would block every write for as long as it
    takes. PostgreSQL cannot do that inside a transaction, hence atomic = False (this migration has
    this one operation, so there is nothing to half-apply).
    """

    atomic = False

    dependencies = [
        ("library", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="document",
            index=models.Index(fields=["-created_at", "-id"], name="library_document_newest_first"),
        ),
    ]
