import json
import time

from django.conf import settings
from django.test import TestCase, override_settings

from library.models import Document
from Tau.graphql_limits import BATCH_REFUSED

LIMITS = settings.GRAPHQL_LIMITS

# Far above what a refusal takes (a few milliseconds), far below what the unchecked work would take.
FAST = 1.0


def nested(field, depth, leaf="name"):
    """`{ field { field { ... leaf } } }`, `depth` fields deep in all."""
    return "{ " + f"{field} {{ " * (depth - 1) + leaf + " }" * depth


def introspection(depth):
    """An introspection query `depth` levels deep, as used to map a schema or to burn CPU."""
    inner = "ofType { " * (depth - 4) + "name" + " }" * (depth - 4)
    return "{ __schema { types { fields { type { " + inner + " } } } } }"


class GraphQLLimitTests(TestCase):
    def post(self, query, **extra):
        body = json.dumps({"query": query})
        started = time.perf_counter()
        response = self.client.post("/graphql/", body, content_type="application/json", **extra)
        elapsed = time.perf_counter() - started
        return response, json.loads(response.content), elapsed

    def assertRefused(self, query, message):
        """Answered 400, fast, with {"errors": [...]} and no "data", one error saying `message`."""
        with self.assertLogs("django.request", "WARNING"):
            response, data, elapsed = self.post(query)
        self.assertEqual(response.status_code, 400, data)
        self.assertNotIn("data", data)
        self.assertIn(message, " | ".join(error["message"] for error in data["errors"]))
        self.assertLess(elapsed, FAST)
        return data

    def assertAnswered(self, query):
        response, data, _elapsed = self.post(query)
        self.assertEqual(response.status_code, 200, data)
        self.assertNotIn("errors", data)
        return data

    def test_an_ordinary_query_is_answered(self):
        Document.objects.create(title="one")
        self.assertEqual(self.assertAnswered("{ documents { title } }")["data"], {"documents": [{"title": "one"}]})

    def test_a_long_query_is_refused_while_parsing(self):
        # 20,000 copies of one field: ~120 kB, refused on its length before the lexer reads it.
        data = self.assertRefused("{ documents { " + "title " * 20_000 + "} }",
                                  f"Source contains more than {LIMITS['MAX_QUERY_LENGTH']} code points")
        self.assertEqual(len(data["errors"]), 1)

    def test_five_thousand_aliases_are_refused_while_parsing(self):
        query = "{ " + " ".join(f"a{i}: documents {{ id }}" for i in range(5_000)) + " }"
        self.assertRefused(query, "Parsing aborted")

    def test_a_query_of_many_tokens_is_refused_while_parsing(self):
        query = "{ " + "a " * LIMITS["MAX_TOKENS"] + "}"
        self.assertLess(len(query), LIMITS["MAX_QUERY_LENGTH"])
        self.assertRefused(query, f"Document contains more than {LIMITS['MAX_TOKENS']} tokens")

    def test_too_many_fields_are_refused_before_validation(self):
        # Within the parser's limits, but the spec's field-merging check is quadratic in these.
        self.assertAnswered("{ " + "documents { id } " * (LIMITS["MAX_FIELDS"] // 2) + "}")
        self.assertRefused("{ documents { " + "title " * LIMITS["MAX_FIELDS"] + "} }",
                           f"The query selects more than {LIMITS['MAX_FIELDS']} fields.")

    def test_too_many_aliases_are_refused(self):
        def aliases(n):
            # limit: 1, so that the documents asked for stay within MAX_DOCUMENTS_PER_REQUEST (library.schema).
            return "{ " + " ".join(f"a{i}: documents(limit: 1) {{ id }}" for i in range(n)) + " }"

        self.assertAnswered(aliases(LIMITS["MAX_ALIASES"]))
        self.assertRefused(aliases(LIMITS["MAX_ALIASES"] + 1),
                           f"The query uses more than {LIMITS['MAX_ALIASES']} aliases.")

    def test_a_deep_query_is_refused(self):
        with override_settings(GRAPHQL_LIMITS={**LIMITS, "MAX_DEPTH": 2}):
            self.assertAnswered("{ documents { title } }")
        with override_settings(GRAPHQL_LIMITS={**LIMITS, "MAX_DEPTH": 1}):
            self.assertRefused("{ documents { title } }", "The query is nested more than 1 levels deep.")
        self.assertRefused(nested("documents", LIMITS["MAX_DEPTH"] + 1, "title"),
                           f"The query is nested more than {LIMITS['MAX_DEPTH']} levels deep.")

    def test_depth_counts_through_fragments(self):
        query = "query { ...A } fragment A on Query { documents { ...B } } fragment B on DocumentType { title }"
        with override_settings(GRAPHQL_LIMITS={**LIMITS, "MAX_DEPTH": 1}):
            self.assertRefused(query, "nested more than 1 levels deep")

    def test_a_fragment_bomb_is_measured_fast(self):
        # Each fragment spreads the previous one twice: 2**24 paths. graphene's depth_limit_validator walks
        # every one of them (22 levels take 20 s); the rule here measures each fragment once.
        levels = 24
        fragments = ["fragment F0 on Query { documents { title } }"]
        fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
        started = time.perf_counter()
        self.assertAnswered(f"{{ ...F{levels - 1} }} " + " ".join(fragments))
        self.assertLess(time.perf_counter() - started, FAST)

    def test_introspection_is_disabled(self):
        self.assertRefused("{ __schema { queryType { name } } }", "GraphQL introspection is disabled.")
        self.assertRefused('{ __type(name: "DocumentType") { fields { name } } }', "GraphQL introspection is disabled.")
        # __typename tells nothing about the schema, and clients such as Apollo add it everywhere.
        self.assertEqual(self.assertAnswered("{ __typename }")["data"], {"__typename": "Query"})

    def test_a_deep_introspection_query_is_refused_fast(self):
        data = self.assertRefused(introspection(48), "GraphQL introspection is disabled.")
        messages = [error["message"] for error in data["errors"]]
        self.assertIn(f"The query is nested more than {LIMITS['MAX_DEPTH']} levels deep.", messages)
        self.assertEqual(len(messages), 2)

    @override_settings(DEBUG=True)
    def test_debug_keeps_introspection_and_lifts_the_validation_limits(self):
        data = self.assertAnswered("{ __schema { queryType { name } } }")
        self.assertEqual(data["data"]["__schema"]["queryType"]["name"], "Query")
        self.assertAnswered(introspection(12))
        # The parser's limits hold in every mode.
        with self.assertLogs("django.request", "WARNING"):
            response, _data, _elapsed = self.post("{ documents { " + "title " * 20_000 + "} }")
        self.assertEqual(response.status_code, 400)

    def test_suggestions_are_not_given(self):
        data = self.assertRefused("{ documentz { title } }", "Cannot query field 'documentz' on type 'Query'.")
        self.assertEqual(data["errors"][0]["message"], "Cannot query field 'documentz' on type 'Query'.")
        self.assertEqual(list(data["errors"][0]), ["message", "locations"])
        data = self.assertRefused("{ documents(limt: 1) { title } }", "Unknown argument 'limt'")
        self.assertNotIn("Did you mean", json.dumps(data))

    @override_settings(DEBUG=True)
    def test_suggestions_are_given_in_debug(self):
        data = self.assertRefused("{ documentz { title } }", "Did you mean 'document' or 'documents'?")
        self.assertEqual(len(data["errors"]), 1)

    def test_validation_stops_after_a_few_errors(self):
        data = self.assertRefused("{ " + " ".join(f"unknown{i}" for i in range(50)) + " }", "Validation aborted.")
        self.assertEqual(len(data["errors"]), LIMITS["MAX_VALIDATION_ERRORS"] + 1)

    def test_a_batch_is_refused_before_decoding(self):
        batch = json.dumps([{"query": "{ documents { title } }"}] * 50_000)  # ~2 MB
        started = time.perf_counter()
        with self.assertLogs("django.request", "WARNING"):
            response = self.client.post("/graphql/", batch, content_type="application/json")
        self.assertLess(time.perf_counter() - started, FAST)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(json.loads(response.content), {"errors": [{"message": BATCH_REFUSED}]})

    def test_a_get_query_is_checked_too(self):
        with self.assertLogs("django.request", "WARNING"):
            response = self.client.get("/graphql/", {"query": "{ __schema { queryType { name } } }"},
                                       HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(json.loads(response.content)["errors"][0]["message"], "GraphQL introspection is disabled.")
