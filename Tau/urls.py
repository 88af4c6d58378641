from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie

from .graphql_limits import LimitedGraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    # CSRF protection stays on (see docs/SECURITY.md): a browser sends the csrftoken cookie's value back in the
    # X-CSRFToken header; ensure_csrf_cookie hands the cookie out on any GET of the endpoint.
    # LimitedGraphQLView bounds the size and shape of a query and refuses batches (Tau.graphql_limits).
    path("graphql/", ensure_csrf_cookie(LimitedGraphQLView.as_view(graphiql=settings.DEBUG)), name="graphql"),
]
