from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# The longest body a document may have, in characters (what Python's len() and PostgreSQL's length()
# count). A page of documents is at most MAX_PAGE_SIZE of them: this bounds what one page can carry.
BODY_MAX_LENGTH = 100_000


class Document(models.Model):
    """A document of the library: text in PostgreSQL, an optional attachment under MEDIA_ROOT."""

    title = models.CharField(max_length=200)
    # A TextField's max_length only sizes the admin's textarea: the validator refuses a longer body in
    # full_clean (the mutation, the admin), the check constraint below on every other path.
    body = models.TextField(blank=True, max_length=BODY_MAX_LENGTH, validators=[MaxLengthValidator(BODY_MAX_LENGTH)])
    attachment = models.FileField(upload_to="documents/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the ordering above: a page (LIMIT, OFFSET, or the keyset condition of
            # documents(after:)) reads the index in order and stops, instead of sorting the whole table.
            models.Index(fields=["-created_at", "-id"], name="library_document_newest_first"),
        ]
        constraints = [
            # Holds for writes that skip full_clean: QuerySet.update(), bulk_create(), raw SQL.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="library_document_body_max_length",
                violation_error_message=f"A document's body has at most {BODY_MAX_LENGTH:,} characters.",
            ),
        ]

    def __str__(self):
        return self.title
