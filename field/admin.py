import json

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.selectors import user_organisation
from core import outbox, policy
from field.models import FieldSubmission, KoboSource
from field.xlsforms import FORMS


@admin.register(FieldSubmission)
class FieldSubmissionAdmin(admin.ModelAdmin):
    """What came from the field, as sent: read only, so that the source of every record stays as
    it arrived. Those kept with errors are found with the status filter."""

    list_display = ("received_at", "form_id", "source", "status", "organisation", "user", "record", "instance_id")
    list_filter = ("status", "source", "form_id", "organisation")
    search_fields = ("instance_id",)
    date_hierarchy = "received_at"
    list_select_related = ("organisation", "user")
    fields = (
        "source", "instance_id", "form_id", "form_version", "user", "organisation", "status", "errors_list",
        "record_type", "record_id", "attachments", "received_at", "updated_at", "answers", "payload_text",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # A partner's data manager reads its own organisation's submissions; the authority all.
        queryset = super().get_queryset(request)
        if request.user.is_superuser or policy.is_authority(request.user):
            return queryset
        organisation = user_organisation(request.user)
        return queryset.filter(organisation=organisation) if organisation is not None else queryset.none()

    @admin.display(description=_("record"))
    def record(self, submission: FieldSubmission) -> str:
        return f"{submission.record_type} #{submission.record_id}" if submission.record_id else "—"

    @admin.display(description=_("errors"))
    def errors_list(self, submission: FieldSubmission) -> str:
        if not submission.errors:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li><code>{}</code>: {}</li>", ((k, " ".join(v)) for k, v in submission.errors.items())
            ),
        )

    @admin.display(description=_("data"))
    def answers(self, submission: FieldSubmission) -> str:
        return format_html("<pre>{}</pre>", json.dumps(submission.data, ensure_ascii=False, indent=2))

    @admin.display(description=_("payload"))
    def payload_text(self, submission: FieldSubmission) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", submission.payload)


def _https_by_default(field, **kwargs):
    # A server typed without its scheme is an HTTPS one (Django 6's default, asked for now).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class KoboSourceForm(forms.ModelForm):
    form_id = forms.ChoiceField(label=_("form"), help_text=_("Which of the system's forms the asset is."))

    class Meta:
        model = KoboSource
        fields = ("name", "server_url", "asset_uid", "api_token", "form_id", "user", "enabled")
        # The token opens the partner's KoboToolbox account: never written back into a page.
        widgets = {"api_token": forms.PasswordInput(render_value=False)}
        formfield_callback = _https_by_default

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_id"].choices = [(form_id, spec.title) for form_id, spec in FORMS.items()]
        if self.instance.pk:
            self.fields["api_token"].required = False
            self.fields["api_token"].help_text = _("Leave empty to keep the current token.")

    def clean_api_token(self) -> str:
        return self.cleaned_data["api_token"] or (self.instance.api_token if self.instance.pk else "")


@admin.register(KoboSource)
class KoboSourceAdmin(admin.ModelAdmin):
    form = KoboSourceForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "server_url", "asset_uid", "form_id", "user", "enabled", "last_pulled_at")
    list_filter = ("enabled", "form_id")
    search_fields = ("name", "asset_uid")
    readonly_fields = ("last_pulled_at",)
    autocomplete_fields = ("user",)
    actions = ("pull_now",)

    @admin.action(description=_("Pull now"))
    def pull_now(self, request, queryset):
        from field.tasks import kobo_pull

        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            for source_id in ids:
                outbox.enqueue(kobo_pull, args=[source_id])
        self.message_user(
            request,
            ngettext(
                "A pull of %(count)d source was queued: its submissions appear in a moment.",
                "A pull of %(count)d sources was queued: their submissions appear in a moment.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )
