import shutil
import tempfile

from django.core.files.base import ContentFile
from django.test import TestCase, override_settings

from library.models import Document


class DocumentModelTests(TestCase):
    def setUp(self):
        self.media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.media)

    def test_stores_text_in_postgresql(self):
        Document.objects.create(title="Design notes", body="Ports have one home.")
        from django.db import connection

        self.assertEqual(connection.vendor, "postgresql")
        with connection.cursor() as cursor:
            cursor.execute("SELECT title, body FROM library_document")
            self.assertEqual(cursor.fetchall(), [("Design notes", "Ports have one home.")])

    def test_attachment_is_written_under_media_root(self):
        with override_settings(MEDIA_ROOT=self.media, MEDIA_URL="/media/"):
            document = Document(title="With file")
            document.attachment.save("notes.txt", ContentFile(b"hello"), save=True)
            self.assertTrue(document.attachment.path.startswith(self.media))
            with open(document.attachment.path, "rb") as f:
                self.assertEqual(f.read(), b"hello")
            self.assertTrue(document.attachment.url.startswith("/media/documents/"))

    def test_newest_first(self):
        first = Document.objects.create(title="first")
        second = Document.objects.create(title="second")
        self.assertEqual(list(Document.objects.all()), [second, first])
