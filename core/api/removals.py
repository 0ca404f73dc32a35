"""Removals: what left a partner's view since its last sync (deleted, merged, withdrawn)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from core import registry
from core.api.pagination import RecordCursorPagination, RecordPagination
from core.models import Removal
from core.selectors import removals_visible


class RemovalSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="record_id", help_text="Id of the record that left.")
    organisation = serializers.SlugRelatedField(slug_field="acronym", read_only=True)
    merged_into = serializers.IntegerField(
        allow_null=True, help_text="Merged: id of the record that now holds it (same record type)."
    )

    class Meta:
        model = Removal
        fields = ("record_type", "id", "external_id", "organisation", "reason", "merged_into", "removed_at")
        read_only_fields = fields


def _record_types():
    return [(entry.slug, entry.slug) for entry in registry.entries() if entry.slug]


class RemovalFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(
        field_name="removed_at", lookup_expr="gte", help_text=_("Removals at or after this time (your last sync).")
    )
    record_type = django_filters.MultipleChoiceFilter(
        choices=_record_types, help_text=_("API name of the record type.")
    )
    reason = django_filters.MultipleChoiceFilter(choices=Removal.Reason.choices, help_text=_("Why it left."))

    class Meta:
        model = Removal
        fields = ()


class RemovalCursorPagination(RecordCursorPagination):
    ordering = ("removed_at", "id")


class RemovalPagination(RecordPagination):
    """Pages by number, or `?pagination=cursor`: oldest removal first, like the `updated_since` stream."""

    cursor_class = RemovalCursorPagination
    list_cursor_class = RemovalCursorPagination


class RemovalListView(ListAPIView):
    """Records you saw that left your view: `deleted`, `merged` (into `merged_into`), or
    `withdrawn` (approved data reopened by the authority: no longer in the national picture
    until approved again). Read it with `since` after each `updated_since` sync; a record that
    comes back (restored, approved again) leaves this list and reappears in its own."""

    serializer_class = RemovalSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RemovalFilter
    pagination_class = RemovalPagination

    def get_queryset(self):
        return removals_visible(self.request.user).order_by("removed_at", "id")
