import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, TestCase

from library.models import Document

CREATE = """mutation($title: String!, $body: String) {
  createDocument(title: $title, body: $body) { document { id title body } }
}"""


class GraphQLTests(TestCase):
    def post(self, client, query, variables=None, **extra):
        response = client.post("/graphql/", json.dumps({"query": query, "variables": variables or {}}),
                               content_type="application/json", **extra)
        return response, json.loads(response.content)

    def test_query_reads_documents(self):
        Document.objects.create(title="one", body="first")
        Document.objects.create(title="two", body="second")
        response, data = self.post(self.client, "{ documents { title body attachmentUrl } }")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["data"]["documents"], [
            {"title": "two", "body": "second", "attachmentUrl": None},
            {"title": "one", "body": "first", "attachmentUrl": None},
        ])

    def test_query_one_document_by_id(self):
        document = Document.objects.create(title="by id")
        _, data = self.post(self.client, "query($id: ID!) { document(id: $id) { title } }", {"id": document.pk})
        self.assertEqual(data["data"]["document"], {"title": "by id"})

    def test_mutation_writes_a_row_for_a_permitted_user(self):
        get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-test-password")
        self.client.login(username="editor", password="a-long-test-password")
        _, data = self.post(self.client, CREATE, {"title": "Written", "body": "through GraphQL"})
        self.assertNotIn("errors", data)
        self.assertEqual(data["data"]["createDocument"]["document"]["title"], "Written")
        self.assertEqual(Document.objects.get().body, "through GraphQL")

    def test_mutation_is_refused_to_anonymous_users(self):
        _, data = self.post(self.client, CREATE, {"title": "Nope"})
        self.assertIn("add_document permission", data["errors"][0]["message"])
        self.assertFalse(Document.objects.exists())

    def test_mutation_without_csrf_token_is_refused(self):
        get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-test-password")
        client = Client(enforce_csrf_checks=True)
        client.login(username="editor", password="a-long-test-password")
        with self.assertLogs("django.security.csrf", "WARNING") as logs:
            response = client.post("/graphql/", json.dumps({"query": CREATE, "variables": {"title": "x"}}),
                                   content_type="application/json")
        self.assertEqual(response.status_code, 403)
        self.assertIn("CSRF cookie not set", logs.output[0])
        self.assertFalse(Document.objects.exists())

    def test_mutation_with_the_csrf_cookie_in_the_header_succeeds(self):
        get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-test-password")
        client = Client(enforce_csrf_checks=True)
        client.login(username="editor", password="a-long-test-password")
        # A GET without a query is a 400, and hands out the CSRF cookie all the same.
        with self.assertLogs("django.request", "WARNING"):
            client.get("/graphql/", HTTP_ACCEPT="application/json")
        token = client.cookies["csrftoken"].value
        response, data = self.post(client, CREATE, {"title": "With token"}, HTTP_X_CSRFTOKEN=token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(data["data"]["createDocument"]["document"]["title"], "With token")


class DocumentsPageTests(TestCase):
    """documents(limit:, offset:) answers one bounded page, never the whole table."""

    PAGE = settings.GRAPHQL_LIMITS["MAX_PAGE_SIZE"]

    @classmethod
    def setUpTestData(cls):
        Document.objects.bulk_create(Document(title=f"d{i}") for i in range(cls.PAGE + 5))

    def documents(self, arguments=""):
        response = self.client.post("/graphql/", json.dumps({"query": f"{{ documents{arguments} {{ title }} }}"}),
                                    content_type="application/json")
        return response, json.loads(response.content)

    def test_without_a_limit_one_page_is_answered(self):
        _, data = self.documents()
        self.assertEqual(len(data["data"]["documents"]), self.PAGE)

    def test_a_limit_within_the_page_size_is_kept(self):
        _, data = self.documents("(limit: 3)")
        self.assertEqual(len(data["data"]["documents"]), 3)
        _, data = self.documents("(limit: 0)")
        self.assertEqual(data["data"]["documents"], [])

    def test_offset_reaches_the_older_documents(self):
        _, data = self.documents(f"(limit: {self.PAGE}, offset: {self.PAGE})")
        self.assertEqual(len(data["data"]["documents"]), 5)
        newest_first = list(Document.objects.values_list("title", flat=True))
        self.assertEqual([d["title"] for d in data["data"]["documents"]], newest_first[self.PAGE:])

    def test_a_negative_or_too_large_limit_is_refused(self):
        for limit in (-1, self.PAGE + 1, 2**31 - 1):
            with self.subTest(limit=limit):
                response, data = self.documents(f"(limit: {limit})")
                # A field error: 200 with "data": null (documents is non-null) and the error on its path.
                self.assertEqual(response.status_code, 200)
                self.assertIsNone(data["data"])
                self.assertEqual(data["errors"][0]["message"], f"limit must be between 0 and {self.PAGE}.")
                self.assertEqual(data["errors"][0]["path"], ["documents"])

    def test_a_negative_offset_is_refused(self):
        _, data = self.documents("(offset: -1)")
        self.assertIsNone(data["data"])
        self.assertEqual(data["errors"][0]["message"], "offset must not be negative.")
