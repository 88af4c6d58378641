"""The GraphQL API at /graphql/.

Reading is public. Creating a document needs a logged-in user with the library.add_document
permission; the request is a POST, so Django's CSRF protection applies (see README, "GraphQL").
"""
import graphene
from django.conf import settings
from django.core.exceptions import PermissionDenied
from graphene_django import DjangoObjectType
from graphql import GraphQLError

from .models import Document


class DocumentType(DjangoObjectType):
    attachment_url = graphene.String(description="URL of the attachment under MEDIA_URL, if any.")

    class Meta:
        model = Document
        fields = ("id", "title", "body", "created_at")

    def resolve_attachment_url(self, info):
        return self.attachment.url if self.attachment else None


def max_page_size():
    return settings.GRAPHQL_LIMITS["MAX_PAGE_SIZE"]


class Query(graphene.ObjectType):
    documents = graphene.List(
        graphene.NonNull(DocumentType),
        required=True,
        limit=graphene.Int(description=f"How many documents, 0 to {max_page_size()}; {max_page_size()} when omitted."),
        offset=graphene.Int(description="How many of the newest documents to skip (0 when omitted)."),
        description="A page of documents, newest first.",
    )
    document = graphene.Field(DocumentType, id=graphene.ID(required=True))

    def resolve_documents(root, info, limit=None, offset=None):
        # Every answer is one bounded page: an out-of-range limit is refused rather than clamped, so that a
        # client asking for more than it can get learns so instead of silently missing documents.
        largest = max_page_size()
        if limit is None:
            limit = largest
        if not 0 <= limit <= largest:
            raise GraphQLError(f"limit must be between 0 and {largest}.")
        offset = offset or 0
        if offset < 0:
            raise GraphQLError("offset must not be negative.")
        return Document.objects.all()[offset:offset + limit]

    def resolve_document(root, info, id):
        return Document.objects.filter(pk=id).first()


class CreateDocument(graphene.Mutation):
    class Arguments:
        title = graphene.String(required=True)
        body = graphene.String()

    document = graphene.Field(DocumentType)

    def mutate(root, info, title, body=""):
        user = info.context.user
        if not user.has_perm("library.add_document"):
            raise PermissionDenied("Creating documents needs a logged-in user with the library.add_document permission.")
        document = Document(title=title, body=body)
        document.full_clean()
        document.save()
        return CreateDocument(document=document)


class Mutation(graphene.ObjectType):
    create_document = CreateDocument.Field()


schema = graphene.Schema(query=Query, mutation=Mutation)
