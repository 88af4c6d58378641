"""WSGI entry point, for tools that want one; the stack itself serves Tau.asgi."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "Tau.settings")

application = get_wsgi_application()
