from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie
from graphene_django.views import GraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    # CSRF protection stays on (see README): a browser sends the csrftoken cookie's value back in the
    # X-CSRFToken header; ensure_csrf_cookie hands the cookie out on any GET of the endpoint.
    path("graphql/", ensure_csrf_cookie(GraphQLView.as_view(graphiql=settings.DEBUG))),
]
