import os
import shutil
import tempfile

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from library.models import Document


class DocumentAdminTests(TestCase):
    def setUp(self):
        self.media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.media)
        get_user_model().objects.create_superuser("admin", "admin@example.com", "a-long-test-password")
        self.client.login(username="admin", password="a-long-test-password")

    def test_changelist_lists_documents(self):
        Document.objects.create(title="Listed in the admin")
        response = self.client.get("/admin/library/document/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Listed in the admin")

    def test_add_form_uploads_the_attachment(self):
        with override_settings(MEDIA_ROOT=self.media):
            response = self.client.post("/admin/library/document/add/", {
                "title": "Uploaded",
                "body": "",
                "attachment": SimpleUploadedFile("report.txt", b"report body", content_type="text/plain"),
            })
        self.assertEqual(response.status_code, 302, response.content[:500])
        document = Document.objects.get(title="Uploaded")
        self.assertTrue(os.path.isfile(os.path.join(self.media, document.attachment.name)))

    def test_anonymous_users_are_sent_to_login(self):
        self.client.logout()
        response = self.client.get("/admin/library/document/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])
