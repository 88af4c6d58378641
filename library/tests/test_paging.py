import json
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import connection
from django.test import TestCase

from library.models import Document
from library.schema import BAD_CURSOR, encode_cursor, page_of_documents

MAX_OFFSET = settings.GRAPHQL_LIMITS["MAX_OFFSET"]
INDEX = "library_document_newest_first"


def documents(client, arguments="", fields="id"):
    response = client.post("/graphql/", json.dumps({"query": f"{{ documents{arguments} {{ {fields} }} }}"}),
                           content_type="application/json")
    return response, json.loads(response.content)


class OffsetBoundTests(TestCase):
    """documents(offset:) skips at most MAX_OFFSET rows: skipped rows are read all the same."""

    @classmethod
    def setUpTestData(cls):
        Document.objects.bulk_create(Document(title=f"d{i}") for i in range(3))

    def test_an_offset_above_the_bound_is_refused(self):
        for offset in (MAX_OFFSET + 1, 2**31 - 1):
            with self.subTest(offset=offset):
                response, data = documents(self.client, f"(offset: {offset})")
                self.assertEqual(response.status_code, 200)
                self.assertIsNone(data["data"])
                self.assertEqual(data["errors"][0]["message"],
                                 f"offset must be at most {MAX_OFFSET}: page further with after.")
                self.assertEqual(data["errors"][0]["path"], ["documents"])

    def test_the_bound_itself_is_accepted(self):
        _, data = documents(self.client, f"(offset: {MAX_OFFSET})")
        self.assertEqual(data, {"data": {"documents": []}})

    def test_twenty_aliases_of_a_deep_offset_are_refused(self):
        query = "{ " + " ".join(f"a{i}: documents(offset: {MAX_OFFSET + 1}) {{ id }}" for i in range(20)) + " }"
        response = self.client.post("/graphql/", json.dumps({"query": query}), content_type="application/json")
        data = json.loads(response.content)
        self.assertIsNone(data["data"])
        self.assertTrue(all(e["message"].startswith("offset must be at most") for e in data["errors"]))


class RequestBudgetTests(TestCase):
    """The documents fields of one request ask for at most MAX_DOCUMENTS_PER_REQUEST documents together:
    aliases do not multiply the page."""

    BUDGET = settings.GRAPHQL_LIMITS["MAX_DOCUMENTS_PER_REQUEST"]

    @classmethod
    def setUpTestData(cls):
        Document.objects.bulk_create(Document(title=f"d{i}") for i in range(cls.BUDGET + 5))

    def aliases(self, limits):
        query = "{ " + " ".join(f"a{i}: documents(limit: {limit}) {{ id }}" for i, limit in enumerate(limits)) + " }"
        response = self.client.post("/graphql/", json.dumps({"query": query}), content_type="application/json")
        return json.loads(response.content)

    def test_limits_within_the_budget_are_answered(self):
        for limits in ([self.BUDGET], [self.BUDGET - 10, 10], [self.BUDGET // 20] * 20):
            with self.subTest(limits=limits):
                data = self.aliases(limits)
                self.assertNotIn("errors", data)
                self.assertEqual([len(page) for page in data["data"].values()], limits)

    def test_limits_over_the_budget_are_refused(self):
        for limits in ([self.BUDGET, 1], [self.BUDGET // 20 + 1] * 20):
            with self.subTest(limits=limits):
                data = self.aliases(limits)
                self.assertIsNone(data["data"])
                self.assertTrue(data["errors"][0]["message"].startswith(
                    f"A request may ask for at most {self.BUDGET} documents in all"), data["errors"][0]["message"])

    def test_an_omitted_limit_counts_as_a_full_page(self):
        _, data = documents(self.client, "", "id")
        self.assertEqual(len(data["data"]["documents"]), settings.GRAPHQL_LIMITS["MAX_PAGE_SIZE"])
        over = self.BUDGET - settings.GRAPHQL_LIMITS["MAX_PAGE_SIZE"] + 1
        query = f"{{ a: documents {{ id }} b: documents(limit: {over}) {{ id }} }}"
        response = self.client.post("/graphql/", json.dumps({"query": query}), content_type="application/json")
        self.assertIn("at most", json.loads(response.content)["errors"][0]["message"])

    def test_each_request_has_its_own_budget(self):
        for _ in range(3):
            self.assertNotIn("errors", self.aliases([self.BUDGET]))


class KeysetPagingTests(TestCase):
    """documents(after:) continues strictly after the document whose cursor it is given, in the same order
    (created_at, then id, both descending), ties in created_at included."""

    @classmethod
    def setUpTestData(cls):
        Document.objects.bulk_create(Document(title=f"d{i}") for i in range(23))
        # Groups of 4 documents share a created_at (auto_now_add ignores a given value, so set it after):
        # pages of 3 end inside a group, where only the id tells the order.
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for i, pk in enumerate(Document.objects.order_by("pk").values_list("pk", flat=True)):
            Document.objects.filter(pk=pk).update(created_at=start + timedelta(seconds=i // 4))
        cls.expected = [str(pk) for pk in Document.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)]

    def read_all(self, limit):
        pages, after = [], None
        while True:
            arguments = f'(limit: {limit}, after: "{after}")' if after else f"(limit: {limit})"
            _, data = documents(self.client, arguments, "id cursor")
            self.assertNotIn("errors", data)
            page = data["data"]["documents"]
            if not page:
                return pages
            pages.append([d["id"] for d in page])
            after = page[-1]["cursor"]

    def test_pages_by_key_read_every_document_once_in_order(self):
        for limit in (1, 3, 4, 100):
            with self.subTest(limit=limit):
                pages = self.read_all(limit)
                self.assertEqual(sum(pages, []), self.expected)
                self.assertEqual(len(pages), -(-len(self.expected) // limit))

    def test_a_page_by_key_equals_the_page_by_offset(self):
        _, data = documents(self.client, "(limit: 5)", "cursor")
        after = data["data"]["documents"][-1]["cursor"]
        _, by_key = documents(self.client, f'(limit: 7, after: "{after}")')
        _, by_offset = documents(self.client, "(limit: 7, offset: 5)")
        self.assertEqual(by_key["data"]["documents"], by_offset["data"]["documents"])
        self.assertEqual([d["id"] for d in by_key["data"]["documents"]], self.expected[5:12])

    def test_a_cursor_outlives_its_document(self):
        # The cursor is a position, not a reference: deleting the document does not lose the place.
        document = Document.objects.get(pk=self.expected[6])
        cursor = encode_cursor(document)
        document.delete()
        _, data = documents(self.client, f'(limit: 3, after: "{cursor}")')
        self.assertEqual([d["id"] for d in data["data"]["documents"]], self.expected[7:10])

    def test_after_the_last_document_is_an_empty_page(self):
        cursor = encode_cursor(Document.objects.get(pk=self.expected[-1]))
        _, data = documents(self.client, f'(after: "{cursor}")')
        self.assertEqual(data, {"data": {"documents": []}})

    def test_offset_and_after_together_are_refused(self):
        cursor = encode_cursor(Document.objects.first())
        _, data = documents(self.client, f'(offset: 1, after: "{cursor}")')
        self.assertIsNone(data["data"])
        self.assertEqual(data["errors"][0]["message"], "Give offset or after, not both.")

    def test_anything_but_a_cursor_is_refused(self):
        import base64

        def b64(text):
            return base64.urlsafe_b64encode(text.encode()).decode()

        for after in ("", "not a cursor", "%%%%", b64("2026-01-01T00:00:00+00:00"), b64("yesterday,1"),
                      b64("2026-01-01T00:00:00,1"), b64("2026-01-01T00:00:00+00:00,one"),
                      b64("2026-01-01T00:00:00+00:00,1,2"), b64("2026-01-01T00:00:00+00:00,0"),
                      b64("2026-01-01T00:00:00+00:00," + "9" * 19), "QQ" * 100):
            with self.subTest(after=after):
                _, data = documents(self.client, f'(after: "{after}")')
                self.assertIsNone(data["data"])
                self.assertEqual(data["errors"][0]["message"], BAD_CURSOR)


class PageQueryPlanTests(TestCase):
    """With enough rows for PostgreSQL to choose, every page query reads the ordering index and stops:
    no Sort over a Seq Scan of the table, whatever the depth."""

    ROWS = 20_000

    @classmethod
    def setUpTestData(cls):
        with connection.cursor() as cursor:
            # Ten documents per second, so that created_at has ties as it may in real use.
            cursor.execute(
                """INSERT INTO library_document (title, body, attachment, created_at)
                   SELECT 'd' || i, repeat('x', 200), '', timestamptz '2026-01-01' + (i / 10) * interval '1 second'
                   FROM generate_series(1, %s) AS i""", [cls.ROWS])
            cursor.execute("ANALYZE library_document")

    def plan_nodes(self, queryset):
        def walk(node):
            yield node
            for child in node.get("Plans", []):
                yield from walk(child)

        plan = json.loads(queryset.explain(format="json"))[0]["Plan"]
        return list(walk(plan))

    def assert_index_scan(self, queryset):
        nodes = self.plan_nodes(queryset)
        kinds = [node["Node Type"] for node in nodes]
        self.assertIn(INDEX, [node.get("Index Name") for node in nodes
                              if node["Node Type"] in ("Index Scan", "Index Only Scan")], kinds)
        self.assertNotIn("Sort", kinds)
        self.assertNotIn("Seq Scan", kinds)

    def page(self, **arguments):
        return page_of_documents(**arguments)

    def test_pages_by_offset_scan_the_index(self):
        for offset in (0, 1_000, MAX_OFFSET):
            with self.subTest(offset=offset):
                self.assert_index_scan(self.page(limit=100, offset=offset))

    def test_pages_by_key_scan_a_range_of_the_index(self):
        newest_first = Document.objects.all()
        for depth in (0, 99, self.ROWS // 2, self.ROWS - 101):
            with self.subTest(depth=depth):
                page = self.page(limit=100, after=encode_cursor(newest_first[depth]))
                self.assert_index_scan(page)
                # The position is the scan's start (an Index Cond), not a filter applied to rows read.
                scan = next(n for n in self.plan_nodes(page) if n.get("Index Name") == INDEX)
                self.assertIn("ROW(created_at, id) <", scan["Index Cond"])
                self.assertNotIn("Filter", scan)
                self.assertEqual(len(page), 100)
