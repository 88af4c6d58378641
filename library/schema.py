"""The GraphQL API at /graphql/.

Reading is public. Creating a document needs a logged-in user with the library.add_document
permission; the request is a POST, so Django's CSRF protection applies (see docs/SECURITY.md, "GraphQL and CSRF").

Paging: documents(limit:, offset:, after:) answers one page, newest first, from the index that serves
that order (library.models.Document.Meta.indexes). `offset` is bounded (GRAPHQL_LIMITS["MAX_OFFSET"]):
skipping rows still reads them, so deep pages go by key instead. Each document has a `cursor`;
documents(after: <the last cursor of a page>) answers the page that follows it, whatever its depth, as
one index range scan.
"""
import base64
import binascii
from datetime import datetime

import graphene
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.lookups import LessThan
from graphene_django import DjangoObjectType
from graphql import GraphQLError

from .models import BODY_MAX_LENGTH, Document

# A cursor is the position of a document in the documents' order, (created_at, id), base64url-encoded so
# that clients treat it as opaque. It is not signed: it only says where a page of public data begins.
CURSOR_MAX_LENGTH = 100  # a real one has ~56 characters; anything longer is refused before decoding
BAD_CURSOR = "after must be the cursor of a document, as documents { cursor } gave it."


def encode_cursor(document):
    position = f"{document.created_at.isoformat()},{document.pk}"
    return base64.urlsafe_b64encode(position.encode("ascii")).decode("ascii")


def decode_cursor(cursor):
    """(created_at, id) of a cursor given by encode_cursor; GraphQLError for anything else."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise GraphQLError(BAD_CURSOR)
    try:
        created_at, pk = base64.b64decode(cursor, altchars=b"-_", validate=True).decode("ascii").split(",")
        created_at, pk = datetime.fromisoformat(created_at), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(BAD_CURSOR) from None
    if created_at.tzinfo is None or not 0 < pk < 2**63:  # an aware time and a bigint id
        raise GraphQLError(BAD_CURSOR)
    return created_at, pk


class Row(Func):
    """A row constructor, ROW(a, b, ...): PostgreSQL compares rows column by column, left to right."""

    function = ""
    template = "ROW(%(expressions)s)"
    output_field = models.Field()


def after_position(created_at, pk):
    """The documents strictly after (created_at, pk) in the order newest first:
    ROW(created_at, id) < ROW(created_at, pk).

    PostgreSQL takes a row comparison over the columns of the index as the start of an index range scan,
    ties in created_at included (the plain `created_at < x OR (created_at = x AND id < pk)` turns into
    a bitmap scan and a sort).
    """
    position = Row(Value(created_at, output_field=models.DateTimeField()), Value(pk))
    return LessThan(Row(F("created_at"), F("id")), position)


class DocumentType(DjangoObjectType):
    attachment_url = graphene.String(description="URL of the attachment under MEDIA_URL, if any.")
    cursor = graphene.String(
        required=True,
        description="Where this document stands in the order of documents: pass it as documents(after:) "
        "to read the documents that follow it. Opaque: its content may change.",
    )

    class Meta:
        model = Document
        fields = ("id", "title", "body", "created_at")

    def resolve_attachment_url(self, info):
        return self.attachment.url if self.attachment else None

    def resolve_cursor(self, info):
        return encode_cursor(self)


def max_page_size():
    return settings.GRAPHQL_LIMITS["MAX_PAGE_SIZE"]


def max_offset():
    return settings.GRAPHQL_LIMITS["MAX_OFFSET"]


def max_documents_per_request():
    return settings.GRAPHQL_LIMITS["MAX_DOCUMENTS_PER_REQUEST"]


def page_of_documents(limit, offset=None, after=None):
    """The page documents(limit:, offset:, after:) answers, as a query set; GraphQLError when an argument
    is out of bounds.

    Every answer is one bounded page: an out-of-range limit or offset is refused rather than clamped, so
    that a client asking for more than it can get learns so instead of silently missing documents.
    """
    largest = max_page_size()
    if not 0 <= limit <= largest:
        raise GraphQLError(f"limit must be between 0 and {largest}.")
    if offset is not None and after is not None:
        raise GraphQLError("Give offset or after, not both.")
    offset = offset or 0
    if offset < 0:
        raise GraphQLError("offset must not be negative.")
    # OFFSET n still reads the n rows it skips: bounded, it costs at most MAX_OFFSET index entries.
    if offset > max_offset():
        raise GraphQLError(f"offset must be at most {max_offset()}: page further with after.")
    documents = Document.objects.all()
    if after is not None:
        documents = documents.filter(after_position(*decode_cursor(after)))
    return documents[offset:offset + limit]


def charge_documents(request, count):
    """Count `count` more documents against what one request may read.

    Aliases repeat a field: 20 aliases of documents would read 20 pages, up to 20 x 100 bodies of
    BODY_MAX_LENGTH characters in one answer. The limits asked for (not the rows found) are counted, so
    a request is refused before its pages are read, whatever the table holds.
    """
    if request is None:  # schema.execute() in-process, not an HTTP request
        return
    budget = max_documents_per_request()
    asked = getattr(request, "_documents_asked", 0) + count
    if asked > budget:
        raise GraphQLError(
            f"A request may ask for at most {budget} documents in all (each documents field counts its limit, "
            f"{max_page_size()} when omitted): ask with fewer aliases or smaller limits."
        )
    request._documents_asked = asked


class Query(graphene.ObjectType):
    documents = graphene.List(
        graphene.NonNull(DocumentType),
        required=True,
        limit=graphene.Int(description=f"How many documents, 0 to {max_page_size()}; {max_page_size()} when omitted."),
        offset=graphene.Int(
            description=f"How many of the newest documents to skip, 0 to {max_offset()} (0 when omitted). "
            "Deeper pages: use after."
        ),
        after=graphene.String(
            description="The cursor of a document (its cursor field): the page begins with the document "
            "that follows it, at any depth. Not together with offset."
        ),
        description="A page of documents, newest first (then by id, highest first). To read them all, "
        "pass the cursor of each page's last document as the next page's after. The documents fields of one "
        f"request ask for at most {max_documents_per_request()} documents together.",
    )
    document = graphene.Field(DocumentType, id=graphene.ID(required=True))

    def resolve_documents(root, info, limit=None, offset=None, after=None):
        if limit is None:
            limit = max_page_size()
        page = page_of_documents(limit, offset, after)
        charge_documents(info.context, limit)
        return page

    def resolve_document(root, info, id):
        return Document.objects.filter(pk=id).first()


class CreateDocument(graphene.Mutation):
    class Arguments:
        title = graphene.String(
            required=True, description=f"At most {Document._meta.get_field('title').max_length} characters."
        )
        body = graphene.String(description=f"At most {BODY_MAX_LENGTH:,} characters.")

    document = graphene.Field(DocumentType)

    def mutate(root, info, title, body=""):
        user = info.context.user
        if not user.has_perm("library.add_document"):
            raise PermissionDenied("Creating documents needs a logged-in user with the library.add_document permission.")
        document = Document(title=title, body=body)
        try:
            document.full_clean()
        except ValidationError as error:
            # Each problem prefixed with the argument it concerns: "body: Ensure this value has at most ...".
            raise GraphQLError("; ".join(
                " ".join(messages) if field == NON_FIELD_ERRORS else f"{field}: {' '.join(messages)}"
                for field, messages in error.message_dict.items()
            )) from None
        document.save()
        return CreateDocument(document=document)


class Mutation(graphene.ObjectType):
    create_document = CreateDocument.Field()


schema = graphene.Schema(query=Query, mutation=Mutation)
