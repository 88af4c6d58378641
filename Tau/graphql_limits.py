"""Limits of the GraphQL endpoint, so that one request cannot make the app parse, validate or resolve
without bound.

GraphQL validation costs more than its input suggests: graphql-core's rule that checks that fields can be
merged compares every pair of fields with the same response name (200 copies of one field take ~0.1 s,
1,000 take ~0.3 s), and graphene's depth_limit_validator walks fragments without memoising them (22
fragments that each spread the previous one twice take 20 s). So the view checks a query in two cheap steps
before graphene-django's own parse, validation and execution run:

1. parse with graphql-core's parser limits (source length, lexical tokens): a 20,000-field or
   5,000-alias document is refused while it is being read, without building its AST;
2. validate the small AST against the rules below only (linear in the document, fragments memoised):
   depth, aliases, number of fields, no introspection.

Only a query that passes both goes on to the full validation (the GraphQL spec's rules) and execution.

The numbers live in settings.GRAPHQL_LIMITS. The parser limits apply in every mode (GraphiQL's own
introspection query is far below them); the validation limits and the masking of "Did you mean ...?"
suggestions are lifted when DEBUG is on, where GraphiQL needs introspection and deep queries.
A refused query is answered 400 with {"errors": [{"message": ..., "locations": [...]}]}, as any other
GraphQL request error; the batching refusal has no "locations".
"""
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest
from graphene_django.views import GraphQLView, HttpError
from graphql import ExecutionResult, GraphQLError, parse, validate
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode
from graphql.validation import ValidationRule

from .metrics import record_refusal

# graphql-core appends every suggestion with this text (graphql.pyutils.did_you_mean).
SUGGESTION = " Did you mean "
BATCH_REFUSED = "Batched requests are not supported: send one operation per request."
_JSON_ARRAY = re.compile(rb"\s*\[")


def limit(name):
    return settings.GRAPHQL_LIMITS[name]


class _ReportOnce(ValidationRule):
    """A rule that reports at most one error per document: a limit is either kept or not. Each refusal is
    counted under the rule's `name` (tau_graphql_refused_total)."""

    name = None
    reported = False

    def report_once(self, message, node):
        if not self.reported:
            self.reported = True
            record_refusal(self.name)
            self.report_error(GraphQLError(message, node))


class MaxAliasesRule(_ReportOnce):
    """At most MAX_ALIASES aliases in the document: each alias makes the same field resolve once more."""

    name = "aliases"

    def __init__(self, context):
        super().__init__(context)
        self.max = limit("MAX_ALIASES")
        self.count = 0

    def enter_field(self, node, *_args):
        if node.alias:
            self.count += 1
            if self.count > self.max:
                self.report_once(f"The query uses more than {self.max} aliases.", node)


class MaxFieldsRule(_ReportOnce):
    """At most MAX_FIELDS field selections in the document, duplicates included: bounds the pairwise
    comparisons of the spec's OverlappingFieldsCanBeMerged rule."""

    name = "fields"

    def __init__(self, context):
        super().__init__(context)
        self.max = limit("MAX_FIELDS")
        self.count = 0

    def enter_field(self, node, *_args):
        self.count += 1
        if self.count > self.max:
            self.report_once(f"The query selects more than {self.max} fields.", node)


class MaxDepthRule(_ReportOnce):
    """Fields nested at most MAX_DEPTH deep: `{ documents { title } }` is 2 deep.

    Unlike graphene's depth_limit_validator, each fragment's depth is computed once (a spread of an
    already measured fragment costs nothing) and unknown or cyclic spreads count as 0: the spec's rules,
    which run afterwards, report those.
    """

    name = "depth"

    def __init__(self, context):
        super().__init__(context)
        self.max = limit("MAX_DEPTH")
        self.fragment_depths = {}

    def enter_operation_definition(self, node, *_args):
        if self.depth(node.selection_set, set()) > self.max:
            self.report_once(f"The query is nested more than {self.max} levels deep.", node)

    def depth(self, selection_set, entered):
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                depth = 1 + (self.depth(selection.selection_set, entered) if selection.selection_set else 0)
            elif isinstance(selection, InlineFragmentNode):
                depth = self.depth(selection.selection_set, entered)
            elif isinstance(selection, FragmentSpreadNode):
                depth = self.fragment_depth(selection.name.value, entered)
            else:  # pragma: no cover  (the three kinds of selection above are all GraphQL has)
                depth = 0
            deepest = max(deepest, depth)
        return deepest

    def fragment_depth(self, name, entered):
        if name not in self.fragment_depths:
            fragment = self.context.get_fragment(name)
            if fragment is None or name in entered:
                return 0
            entered.add(name)
            self.fragment_depths[name] = self.depth(fragment.selection_set, entered)
            entered.discard(name)
        return self.fragment_depths[name]


class NoIntrospectionRule(_ReportOnce):
    """No __schema or __type: the schema is not published outside DEBUG.

    __typename stays allowed (unlike graphene's DisableIntrospection, which refuses every "__" field):
    clients such as Apollo add it to every selection, and it tells nothing about the schema.
    """

    name = "introspection"

    def enter_field(self, node, *_args):
        if node.name.value in ("__schema", "__type"):
            self.report_once("GraphQL introspection is disabled.", node)


LIMIT_RULES = (MaxAliasesRule, MaxFieldsRule, MaxDepthRule, NoIntrospectionRule)


def check_query(schema, query):
    """The errors that refuse `query` before graphene-django parses and validates it; [] when it passes."""
    try:
        document = parse(
            query,
            max_source_length=limit("MAX_QUERY_LENGTH"),
            max_lexical_tokens=limit("MAX_TOKENS"),
        )
    except GraphQLError as error:
        if len(query) > limit("MAX_QUERY_LENGTH"):
            record_refusal("length")
        elif "Document contains more than" in error.message:
            record_refusal("tokens")
        return [error]
    if settings.DEBUG:
        return []
    return validate(schema, document, LIMIT_RULES)


GRAPHIQL_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


class LimitedGraphQLView(GraphQLView):
    """graphene-django's view with the limits above, no batching, and no suggestions outside DEBUG."""

    def parse_body(self, request):
        # batch is off, so graphene-django refuses a JSON array too, but only after decoding all of it
        # (up to DATA_UPLOAD_MAX_MEMORY_SIZE): refuse it on its first character instead.
        if self.get_content_type(request) == "application/json":
            try:
                body = request.body
            except RequestDataTooBig:
                body = b""  # graphene-django answers this one with a 400 of its own
            if _JSON_ARRAY.match(body):
                record_refusal("batch")
                raise HttpError(HttpResponseBadRequest(BATCH_REFUSED))
        return super().parse_body(request)

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        # A query that is not a string is left to graphene-django, which refuses it.
        if isinstance(query, str) and query:
            errors = check_query(self.schema.graphql_schema, query)
            if errors:
                # No "data" and no path: graphene-django answers 400.
                return ExecutionResult(data=None, errors=errors)
        return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)

    def render_graphiql(self, request, **data):
        # GraphiQL (DEBUG only) runs scripts from its CDN and one inline script. nginx gives every page of
        # the app a Content-Security-Policy allowing the site's own scripts only, unless the app sends its
        # own: this page sends one that lets GraphiQL run, and nothing else.
        response = super().render_graphiql(request, **data)
        response["Content-Security-Policy"] = GRAPHIQL_CSP
        return response

    def format_error(self, error):
        formatted = super().format_error(error)
        message = formatted.get("message")
        # Suggestions name fields, arguments and types the client did not ask for: they publish the
        # schema piece by piece even with introspection off.
        if not settings.DEBUG and isinstance(message, str) and SUGGESTION in message:
            formatted = {**formatted, "message": message[: message.index(SUGGESTION)]}
        return formatted
