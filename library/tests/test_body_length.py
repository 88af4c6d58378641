import importlib
import json

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import TestCase

from library.models import BODY_MAX_LENGTH, Document

CREATE = """mutation($title: String!, $body: String) {
  createDocument(title: $title, body: $body) { document { id } }
}"""
CONSTRAINT = "library_document_body_max_length"


class MutationBodyLengthTests(TestCase):
    """createDocument refuses a body over BODY_MAX_LENGTH characters, with the reason, and writes nothing."""

    def setUp(self):
        get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-test-password")
        self.client.login(username="editor", password="a-long-test-password")

    def create(self, title, body):
        response = self.client.post("/graphql/", json.dumps({"query": CREATE, "variables": {"title": title, "body": body}}),
                                    content_type="application/json")
        return json.loads(response.content)

    def test_a_body_at_the_limit_is_written(self):
        data = self.create("At the limit", "x" * BODY_MAX_LENGTH)
        self.assertNotIn("errors", data)
        self.assertEqual(len(Document.objects.get().body), BODY_MAX_LENGTH)

    def test_a_longer_body_is_refused(self):
        data = self.create("Too long", "x" * (BODY_MAX_LENGTH + 1))
        self.assertEqual(data["data"], {"createDocument": None})
        self.assertEqual(data["errors"][0]["message"],
                         f"body: Ensure this value has at most {BODY_MAX_LENGTH} characters (it has {BODY_MAX_LENGTH + 1}).")
        self.assertFalse(Document.objects.exists())

    def test_each_refused_argument_is_named(self):
        data = self.create("t" * 201, "x" * (BODY_MAX_LENGTH + 1))
        message = data["errors"][0]["message"]
        self.assertIn("title: Ensure this value has at most 200 characters (it has 201).", message)
        self.assertIn(f"body: Ensure this value has at most {BODY_MAX_LENGTH} characters", message)
        self.assertFalse(Document.objects.exists())


class DatabaseBodyLengthTests(TestCase):
    """The check constraint holds where full_clean does not run."""

    def assert_refused(self, write):
        with self.assertRaisesMessage(IntegrityError, CONSTRAINT), transaction.atomic():
            write()

    def test_update_bulk_create_and_raw_sql_are_refused(self):
        document = Document.objects.create(title="short")
        too_long = "x" * (BODY_MAX_LENGTH + 1)
        self.assert_refused(lambda: Document.objects.filter(pk=document.pk).update(body=too_long))
        self.assert_refused(lambda: Document.objects.bulk_create([Document(title="bulk", body=too_long)]))

        def raw_insert():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO library_document (title, body, attachment, created_at) "
                               "VALUES ('raw', %s, '', now())", [too_long])

        self.assert_refused(raw_insert)
        self.assertEqual(Document.objects.get().body, "")

    def test_the_database_and_python_count_the_same_characters(self):
        # length() counts characters, as len() does, not bytes: 4-byte characters up to the limit pass both.
        body = "\N{GRINNING FACE}" * BODY_MAX_LENGTH
        document = Document(title="emoji", body=body)
        document.full_clean()
        document.save()
        self.assertEqual(Document.objects.get().body, body)
        with self.assertRaises(ValidationError):
            Document(title="emoji", body=body + "\N{GRINNING FACE}").full_clean()
        self.assert_refused(lambda: Document.objects.update(body=body + "\N{GRINNING FACE}"))


class MigrationPrecheckTests(TestCase):
    """The migration that adds the constraint names the documents that would violate it."""

    def test_existing_longer_bodies_stop_the_migration_with_their_ids(self):
        migration = importlib.import_module("library.migrations.0003_document_body_max_length")
        short = Document.objects.create(title="short")
        migration.refuse_longer_bodies(apps, None)  # nothing to report

        # As before the migration: without the constraint (dropped inside this test's transaction only).
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE library_document DROP CONSTRAINT {CONSTRAINT}")
        long_ones = [Document.objects.create(title=f"long {i}", body="x" * (BODY_MAX_LENGTH + 1)) for i in range(2)]
        with self.assertRaises(CommandError) as refused:
            migration.refuse_longer_bodies(apps, None)
        message = str(refused.exception)
        self.assertIn(f"(ids {long_ones[0].pk}, {long_ones[1].pk})", message)
