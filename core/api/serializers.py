from rest_framework import serializers

from reference.models import Organisation

RECORD_READ_ONLY = ("id", "reference", "status", "status_reason", "version", "admin_area", "created_at", "updated_at")


class RecordSerializer(serializers.ModelSerializer):
    """Fields every reported record shows: its reporter, workflow status and version."""

    organisation = serializers.SlugRelatedField(
        slug_field="acronym", queryset=Organisation.objects.all(), required=False,
        help_text="Acronym of the reporting organisation: your own unless you work for the authority.",
    )  # fmt: skip
    admin_area = serializers.SlugRelatedField(
        slug_field="pcode",
        read_only=True,
        allow_null=True,
        help_text="P-code of the administrative area, derived spatially.",
    )

    class Meta:
        # Uniqueness of external_id is the API's idempotency, not a validation error.
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        entry = _entry(instance)
        if request is not None and entry is not None and entry.personal_fields:
            from core import policy

            # Personal data written with a record is read by its writer and the authority only.
            if not policy.may_read_personal_fields(request.user, instance):
                for name in entry.personal_fields:
                    if name in data:
                        data[name] = ""
        return data


def _entry(instance):
    from core import registry

    try:
        return registry.get(instance)
    except LookupError:
        return None


class TransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Required to reject or reopen."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you read (the ETag without quotes). Required to approve, unless sent as If-Match: "
        "a record changed since is not approved (412).",
    )


TRANSITION_REQUEST = TransitionSerializer


class HistoryEventSerializer(serializers.Serializer):
    """One version of a record, from its history as the reader may see it
    (core.history.record_history_for)."""

    at = serializers.DateTimeField(source="pgh_created_at")
    event = serializers.CharField(source="pgh_label", help_text="insert, update or delete (of the row)")
    action = serializers.SerializerMethodField(help_text="create, update, submit, approve, reject, reopen, delete...")
    user = serializers.SerializerMethodField(
        help_text="Who acted: a username for the authority, and for a partner its own organisation's staff; "
        "otherwise the acronym of the actor's organisation; `system` for scheduled jobs."
    )
    reason = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(help_text="Changed fields: [old value, new value].")

    def _event_context(self, event) -> dict:
        return event.pgh_context or {}

    def get_action(self, event) -> str | None:
        return self._event_context(event).get("action")

    def get_user(self, event) -> str | None:
        return getattr(event, "actor", None) or self._event_context(event).get("username")

    def get_reason(self, event) -> str:
        return self._event_context(event).get("reason") or ""

    def get_changes(self, event) -> dict:
        return event.pgh_diff or {}


class MergeSerializer(serializers.Serializer):
    duplicate = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of the record merged into this one, then deleted."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=400, help_text="Why they are one.")


class VisibleRecordField(serializers.PrimaryKeyRelatedField):
    """A link to another record: only to one the requesting user may see (core.selectors)."""

    def __init__(self, *, via: str = "", **kwargs):
        self.via = via
        super().__init__(**kwargs)

    def get_queryset(self):
        from core.selectors import records_visible

        queryset = super().get_queryset()
        request = self.context.get("request")
        return queryset if request is None else records_visible(queryset, request.user, via=self.via)
