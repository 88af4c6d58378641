from django.test import RequestFactory, SimpleTestCase

from Tau.graphql_limits import GRAPHIQL_CSP, LimitedGraphQLView


class GraphiQLPolicyTests(SimpleTestCase):
    """GraphiQL (DEBUG only) sends a policy of its own, so that nginx's site-wide one, which lets only the
    site's own scripts run, does not keep it from loading."""

    def test_graphiql_page_sends_its_own_policy(self):
        view = LimitedGraphQLView.as_view(graphiql=True)
        request = RequestFactory().get("/graphql/", HTTP_ACCEPT="text/html")
        response = view(request)
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"graphiql", response.content.lower())
        self.assertEqual(response["Content-Security-Policy"], GRAPHIQL_CSP)
        self.assertIn("https://cdn.jsdelivr.net", GRAPHIQL_CSP)

    def test_api_answers_carry_no_policy_of_the_app(self):
        # JSON answers leave the policy to nginx.
        view = LimitedGraphQLView.as_view(graphiql=True)
        request = RequestFactory().get("/graphql/", {"query": "{ __typename }"}, HTTP_ACCEPT="application/json")
        response = view(request)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Content-Security-Policy", response)
