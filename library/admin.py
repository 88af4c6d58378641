from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "created_at", "attachment")
    search_fields = ("title", "body")
    date_hierarchy = "created_at"
