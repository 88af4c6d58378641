from django.db import models


class Document(models.Model):
    """A document of the library: text in PostgreSQL, an optional attachment under MEDIA_ROOT."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    attachment = models.FileField(upload_to="documents/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the ordering above: a page (LIMIT, OFFSET, or the keyset condition of
            # documents(after:)) reads the index in order and stops, instead of sorting the whole table.
            models.Index(fields=["-created_at", "-id"], name="library_document_newest_first"),
        ]

    def __str__(self):
        return self.title
