"""The GraphQL API at /graphql/.

Reading is public. Creating a document needs a logged-in user with the library.add_document
permission; the request is a POST, so Django's CSRF protection applies (see README, "GraphQL").
"""
import graphene
from django.core.exceptions import PermissionDenied
from graphene_django import DjangoObjectType

from .models import Document


class DocumentType(DjangoObjectType):
    attachment_url = graphene.String(description="URL of the attachment under MEDIA_URL, if any.")

    class Meta:
        model = Document
        fields = ("id", "title", "body", "created_at")

    def resolve_attachment_url(self, info):
        return self.attachment.url if self.attachment else None


class Query(graphene.ObjectType):
    documents = graphene.List(graphene.NonNull(DocumentType), required=True, limit=graphene.Int())
    document = graphene.Field(DocumentType, id=graphene.ID(required=True))

    def resolve_documents(root, info, limit=None):
        documents = Document.objects.all()
        return documents[:limit] if limit is not None and limit >= 0 else documents

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
