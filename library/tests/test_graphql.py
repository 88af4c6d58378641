import json

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
