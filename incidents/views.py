"""Incident pages: the list, an incident's page, one form for an incident and its casualties, a
casualty's identity (logged), and the reconciliation of duplicate reports."""

import re
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format, localize, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts.selectors import is_authority
from core import policy
from core.exceptions import ApplicationError, RecordChanged
from core.forms import add_errors
from core.history import ACTION_LABELS, actor_labels
from core.models import DatePrecision, RecordStatus
from core.pages import RecordDetailView, RecordFormView, RecordListView, display_value, record_url, safe_next
from core.selectors import scoped
from incidents import services
from incidents.filters import IncidentFilter
from incidents.forms import CASUALTY_PREFIX, IDENTITY_PERMISSION, CasualtyFormSet, IncidentForm
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from incidents.reconciliation import incident_duplicate_candidates, incident_merge
from incidents.selectors import IDENTITY_PERMISSION as IDENTITY_READ_PERMISSION
from incidents.selectors import casualty_identity_get

PAGE = "incidents"


def incident_date_display(incident: Incident) -> str:
    """The date as precisely as it is known: a day, a month (03/2024) or a year (2024)."""
    value = incident.incident_date
    if value is None:
        return "–"
    if incident.date_precision == DatePrecision.YEAR:
        return str(value.year)
    if incident.date_precision == DatePrecision.MONTH:
        return date_format(value, "m/Y")
    return localize(value)


def device_display(incident: Incident) -> str:
    """The category counted, and what the reporter wrote when the Mali rule changed it."""
    counted = incident.get_device_category_display()
    if incident.is_reclassified:
        return _("%(counted)s (reported: %(reported)s)") % {
            "counted": counted,
            "reported": incident.get_device_category_reported_display(),
        }
    return counted


def outcome_counts():
    """Killed and injured of each incident, as subqueries: computed only for the rows shown."""

    def count(outcome):
        rows = (
            Casualty.objects.filter(incident=OuterRef("pk"), outcome=outcome)
            .order_by()
            .values("incident")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    return {"killed": count(Casualty.Outcome.KILLED), "injured": count(Casualty.Outcome.INJURED)}


# --- List ------------------------------------------------------------------------------------


class IncidentList(RecordListView):
    model = Incident
    page_name = PAGE
    filterset_class = IncidentFilter
    columns = (
        "reference",
        "incident_date",
        "incident_class",
        "device_category",
        "admin_area",
        "organisation",
        "casualty_count",
        "status",
    )
    # As the API's (incidents.api.views.IncidentViewSet.ordering_fields).
    ordering_fields = ("updated_at", "incident_date", "reference")
    select_related = ("admin_area", "organisation")

    def records(self):
        casualties = (
            Casualty.objects.filter(incident=OuterRef("pk")).order_by().values("incident").annotate(n=Count("id"))
        )
        # A subquery rather than a join: PostgreSQL counts for the page's rows only, after the limit.
        return (
            super()
            .records()
            .annotate(casualty_count=Coalesce(Subquery(casualties.values("n"), output_field=IntegerField()), Value(0)))
        )

    def _column_name_label(self, column):
        if column == "casualty_count":
            return "", capfirst(Casualty._meta.verbose_name_plural)
        return super()._column_name_label(column)

    def cells(self, record):
        special = {
            "incident_date": incident_date_display,
            "device_category": device_display,
            "casualty_count": lambda incident: number_format(incident.casualty_count),
        }
        return [special[c](record) if c in special else display_value(record, c) for c in self.columns]


# --- An incident's page ------------------------------------------------------------------------


class IncidentDetail(RecordDetailView):
    model = Incident
    page_name = PAGE
    template_name = "incidents/incident_detail.html"
    select_related = ("organisation", "admin_area", "locality", "ordnance_type")
    fields = (
        (gettext_lazy("Report"), ("reference", "organisation", "external_id", "incident_class")),
        (gettext_lazy("When and where"), ("incident_date", "date_precision", "incident_time", "locality",
                                          "admin_area")),
        (gettext_lazy("Device"), ("device_category", "device_category_reported", "ordnance_type", "activation",
                                  "how_activated", "person_activated", "anti_handling_device", "moved_or_tampered")),
        (gettext_lazy("Circumstances"), ("activity_at_time", "description")),
    )  # fmt: skip

    def sections(self, record):
        date_label = capfirst(Incident._meta.get_field("incident_date").verbose_name)
        sections = []
        for title, rows in super().sections(record):
            rows = [(label, incident_date_display(record) if label == date_label else value) for label, value in rows]
            if title == self.fields[1][0]:
                rows.append((_("Coordinates"), f"{record.location.y:.6f}, {record.location.x:.6f}"))
            sections.append((title, rows))
        return sections

    def linked(self, record):
        from assistance.models import Survivor

        survivors = scoped(Survivor.objects.filter(casualty__incident=record), self.request.user).order_by("id")
        items = [(str(survivor), record_url(survivor)) for survivor in survivors]
        return [(_("Survivors followed for assistance"), items)] if items else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record, user = context["record"], self.request.user
        casualties = Casualty.objects.filter(incident=record).order_by("id")
        may_read_identity = user.has_perm(IDENTITY_READ_PERMISSION)
        injuries = dict(Casualty.Injury.choices)
        if may_read_identity:
            casualties = casualties.annotate(
                has_identity=Exists(CasualtyIdentity.objects.filter(casualty=OuterRef("pk")))
            )
        context.update(
            casualties=[
                SimpleNamespace(
                    casualty=casualty,
                    injuries=[injuries.get(value, value) for value in casualty.injuries],
                    identity_url=reverse(f"{PAGE}-casualty-identity", args=[record.pk, casualty.pk])
                    if may_read_identity and casualty.has_identity
                    else None,
                )
                for casualty in casualties
            ],
            sources=IncidentSource.objects.filter(incident=record).select_related("organisation").order_by("id"),
            show_identity_column=may_read_identity,
            casualty_history=casualty_history_for(record, user),
            reconciliation_url=_reconciliation_url(user, record),
        )
        return context


def casualty_history_for(incident: Incident, user) -> list[SimpleNamespace]:
    """What happened to the incident's casualties (added, changed, removed), newest last, with
    who did it as `user` may know them (core.history.actor_labels)."""
    from pghistory.models import Events

    events = list(
        Events.objects.references(incident).across("incidents.CasualtyEvent").order_by("pgh_created_at", "pgh_id")
    )
    labels = actor_labels(user, {(event.pgh_context or {}).get("user") for event in events})
    hidden = {"id", "incident", "incident_id", "version", "created_at", "updated_at"}
    if not is_authority(user):
        hidden |= {"created_by", "created_by_id", "updated_by", "updated_by_id"}
    verbs = {"insert": _("added"), "update": _("changed"), "delete": _("removed")}
    history = []
    for event in events:
        context = event.pgh_context or {}
        actor = context.get("user")
        data = event.pgh_data or {}
        history.append(
            SimpleNamespace(
                when=event.pgh_created_at,
                actor=labels.get(actor, "") if actor is not None else context.get("username") or "",
                verb=verbs.get(event.pgh_label, ACTION_LABELS.get(context.get("action"), event.pgh_label)),
                casualty=_("casualty #%(id)s") % {"id": event.pgh_obj_id},
                summary=", ".join(str(data.get(name) or "–") for name in ("outcome", "sex", "age")),
                changed=sorted(name for name in (event.pgh_diff or {}) if name not in hidden),
            )
        )
    return history


def _reconciliation_url(user, record) -> str | None:
    if not policy.may_merge(user):
        return None
    return f"{reverse('reconciliation')}?incident={record.pk}"


class CasualtyIdentityView(LoginRequiredMixin, TemplateView):
    """A casualty's identity, for roles that read it; every read is logged (the selector)."""

    template_name = "incidents/casualty_identity.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident = get_object_or_404(scoped(Incident.objects.all(), self.request.user), pk=self.kwargs["pk"])
        casualty = get_object_or_404(Casualty.objects.filter(incident=incident), pk=self.kwargs["casualty"])
        identity = casualty_identity_get(
            user=self.request.user, casualty=casualty, channel="page", path=self.request.path
        )
        rows = []
        if identity is not None:
            for name in ("full_name", "date_of_birth", "address", "phone", "contact_person"):
                label = capfirst(CasualtyIdentity._meta.get_field(name).verbose_name)
                rows.append((label, display_value(identity, name)))
        context.update(incident=incident, casualty=casualty, identity=identity, rows=rows, back=record_url(incident))
        return context


# --- One form: an incident and its casualties ---------------------------------------------------

ROW_KEY = re.compile(r"^casualties\[(\d+)\]\.(.+)$")


class IncidentFormView(RecordFormView):
    model = Incident
    page_name = PAGE
    form_class = IncidentForm
    template_name = "incidents/incident_form.html"

    def formset(self, record, data=None):
        queryset = Casualty.objects.filter(incident=record).order_by("id") if record else Casualty.objects.none()
        # Identities are written with new rows by roles that may write them (core.policy).
        identity = self.request.user.has_perm(IDENTITY_PERMISSION)
        return CasualtyFormSet(data, queryset=queryset, prefix=CASUALTY_PREFIX, identity=identity)

    def get(self, request, *args, **kwargs):
        record = self.get_record()
        form = self.form_class(**self.form_kwargs(record), initial=self.initial(record))
        return self.render_to_response(self.get_context_data(form=form, formset=self.formset(record), record=record))

    def post(self, request, *args, **kwargs):
        record = self.get_record()
        data = request.POST
        if "add_casualty" in data:
            # Without JavaScript, "add a casualty" sends the form back with one more row, saving nothing.
            data = data.copy()
            total = f"{CASUALTY_PREFIX}-TOTAL_FORMS"
            try:
                data[total] = str(min(int(data.get(total, "0")) + 1, CasualtyFormSet.max_num))
            except ValueError:
                data[total] = "1"
        form = self.form_class(data, request.FILES, **self.form_kwargs(record))
        formset = self.formset(record, data)
        if "add_casualty" in data:
            _quiet(form, *formset.forms)
            context = self.get_context_data(form=form, formset=formset, record=record, focus_last_row=True)
            return self.render_to_response(context)
        if form.is_valid() and formset.is_valid():
            saved = self.save_or_errors(form, record, formset)
            if saved is not None:
                messages.success(request, _("%(record)s was saved.") % {"record": saved})
                return HttpResponseRedirect(record_url(saved) or reverse(f"{self.page_name}-list"))
        if record is None and form.errors and formset.is_valid():
            # The incident's own fields are refused: the casualties' rules are checked too, so that
            # every mistake shows on this round rather than the next.
            rows = formset.rows()
            errors = services.casualties_check(incident=form.instance, casualties=[r.service_data() for _i, r in rows])
            _put_errors(form, formset, _renumbered(errors, rows))
        if not formset.is_valid() and not form.errors:
            # The summary at the top of the page says nothing was saved, and where to look.
            form.add_error(None, _("A casualty could not be saved: see the casualties below."))
        context = self.get_context_data(form=form, formset=formset, record=record)
        return self.render_to_response(context, status=self.error_status)

    def save_or_errors(self, form, record, formset=None):
        try:
            with transaction.atomic():
                return self.save(form, self.as_read(record), formset)
        except RecordChanged:
            self.refuse_stale(form, record)
        except ApplicationError as exc:
            _put_errors(form, formset, exc.errors or {"non_field_errors": [exc.message]})
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        return None

    def save(self, form, record, formset=None):
        user = self.request.user
        if record is None:
            rows = formset.rows()
            try:
                return services.incident_create(
                    user=user,
                    organisation=form.cleaned_data["organisation"],
                    data=form.service_data(),
                    casualties=[row.service_data() for _index, row in rows],
                )
            except ApplicationError as exc:
                # The service numbers the casualties it was given; the page numbers its rows.
                raise ApplicationError(exc.message, errors=_renumbered(exc.errors or {}, rows)) from exc
        return self._update(form, record, formset)

    def _update(self, form, record, formset):
        """The incident's changed fields, then each casualty row, each through its service; every
        refusal is collected, then all of it is rolled back together (one transaction)."""
        user = self.request.user
        errors: dict[str, list[str]] = {}
        changes = form.service_data(changed_only=True)
        if changes:
            try:
                record = services.incident_update(incident=record, user=user, data=changes)
            except ApplicationError as exc:
                errors.update(exc.errors or {"non_field_errors": [exc.message]})
        for index, row in formset.rows():
            try:
                _row_save(row, formset, record, user)
            except ApplicationError as exc:
                for field, field_messages in (exc.errors or {"non_field_errors": [exc.message]}).items():
                    errors[f"casualties[{index}].{field}"] = field_messages
            except PermissionDenied as exc:
                errors[f"casualties[{index}].non_field_errors"] = [str(exc) or _("You may not do this.")]
        if errors:
            raise ApplicationError(_("The record is not valid."), errors=errors)
        return Incident.objects.get(pk=record.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        formset = kwargs.get("formset")
        if formset is not None:
            context["casualty_errors"] = bool(formset.non_form_errors()) or any(f.errors for f in formset.forms)
        return context


def _row_save(row, formset, incident: Incident, user) -> None:
    if row.instance.pk is not None:
        if formset._should_delete_form(row):
            services.casualty_delete(casualty=row.instance, user=user)
            return
        changes = row.service_data(changed_only=True)
        if changes:
            services.casualty_update(casualty=row.instance, user=user, data=changes)
        return
    data = row.service_data()
    identity = data.pop("identity", None)
    casualty = services.casualty_add(incident=incident, user=user, data=data)
    if identity is not None:
        services.casualty_identity_set(casualty=casualty, user=user, data=identity)


def _renumbered(errors: dict, rows: list) -> dict:
    renumbered = {}
    for key, field_messages in errors.items():
        match = ROW_KEY.match(key)
        if match and int(match.group(1)) < len(rows):
            key = f"casualties[{rows[int(match.group(1))][0]}].{match.group(2)}"
        renumbered[key] = field_messages
    return renumbered


def _put_errors(form, formset, errors: dict) -> None:
    """Each message next to its field: `casualties[2].age` on the age of the third row,
    `casualties[0].identity.date_of_birth` on that row's date of birth, the rest on the incident."""
    rows: dict[int, dict] = {}
    own: dict[str, list] = {}
    for key, field_messages in errors.items():
        match = ROW_KEY.match(key)
        if match and formset is not None and int(match.group(1)) < len(formset.forms):
            field = match.group(2).removeprefix("identity.")
            rows.setdefault(int(match.group(1)), {}).setdefault(field, []).extend(field_messages)
        else:
            own[key] = field_messages
    for index, row_errors in rows.items():
        add_errors(formset.forms[index], row_errors)
    if own:
        add_errors(form, own)
    elif rows:
        form.add_error(None, _("A casualty could not be saved: see the casualties below."))


def _quiet(*forms) -> None:
    # A form sent back only to add a row is not judged yet: no error is shown.
    from django.forms.utils import ErrorDict

    for form in forms:
        form._errors = ErrorDict()
        form.cleaned_data = {}


# --- Reconciliation of duplicate reports --------------------------------------------------------

# A page of review, not a batch: the duplicates of this many recent incidents at most.
RECENT_INCIDENTS = 20
CANDIDATES_PER_INCIDENT = 3


class ReconciliationView(LoginRequiredMixin, TemplateView):
    """Probable duplicates side by side, each pair with a merge form (DOMAIN.md: the same
    accident reported by several sources becomes one incident keeping every source)."""

    template_name = "incidents/reconciliation.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policy.may_merge(request.user):
            raise PermissionDenied(_("Your role may not merge records."))
        return super().dispatch(request, *args, **kwargs)

    def targets(self, asked: str) -> list[Incident]:
        visible = scoped(Incident.objects.all(), self.request.user)
        if asked:
            query = Q(reference__iexact=asked) | Q(external_id=asked)
            if asked.isdigit():
                query |= Q(pk=int(asked))
            targets = visible.filter(query).order_by("-updated_at", "-id")
        else:
            statuses = (RecordStatus.SUBMITTED, RecordStatus.APPROVED)
            targets = visible.filter(status__in=statuses).order_by("-updated_at", "-id")
        return list(
            targets.select_related("organisation", "admin_area").annotate(**outcome_counts())[:RECENT_INCIDENTS]
        )

    def get_context_data(self, **kwargs):
        from reference.models import AdministrativeArea

        context = super().get_context_data(**kwargs)
        user = self.request.user
        asked = self.request.GET.get("incident", "").strip()[:100]
        targets = self.targets(asked)
        seen: set[frozenset] = set()
        pairs = []
        for target in targets:
            for candidate in incident_duplicate_candidates(incident=target, user=user, limit=CANDIDATES_PER_INCIDENT):
                key = frozenset((target.pk, candidate.pk))
                if key not in seen:
                    seen.add(key)
                    pairs.append((target, candidate))
        # The candidates' areas in one query (the candidate finder joins only organisations).
        areas = AdministrativeArea.objects.in_bulk({c.admin_area_id for _t, c in pairs if c.admin_area_id})
        for _target, candidate in pairs:
            candidate.admin_area_shown = areas.get(candidate.admin_area_id)
        context.update(
            asked=asked,
            not_found=bool(asked) and not targets,
            checked=len(targets),
            limit=RECENT_INCIDENTS,
            pairs=[_pair(target, candidate) for target, candidate in pairs],
            hazards_url=_hazard_reconciliation_url(),
            merge_url=reverse("reconciliation-merge"),
            next=self.request.get_full_path(),
        )
        return context


def _side(incident: Incident, area) -> dict:
    return {
        "pk": incident.pk,
        "reference": incident.reference,
        "url": reverse(f"{PAGE}-detail", args=[incident.pk]),
        "date": incident_date_display(incident),
        "area": area or "–",
        "coordinates": f"{incident.location.y:.5f}, {incident.location.x:.5f}",
        "incident_class": incident.get_incident_class_display(),
        "device": device_display(incident),
        "killed": incident.killed,
        "injured": incident.injured,
        "organisation": incident.organisation,
        "status": incident.status,
        "status_label": incident.get_status_display(),
    }


def _pair(target: Incident, candidate: Incident) -> dict:
    # An approved record is kept over one that is not (core.workflow.check_merge_statuses).
    keep = candidate if candidate.status == RecordStatus.APPROVED != target.status else target
    left, right = _side(target, target.admin_area), _side(candidate, candidate.admin_area_shown)
    return {
        "left": left,
        "right": right,
        "sides": (left, right),
        "keep": keep.pk,
        "distance": number_format(round(candidate.distance_m), force_grouping=True),
        "days_apart": candidate.days_apart,
        "score": round(candidate.score * 100),
    }


def _hazard_reconciliation_url() -> str | None:
    try:
        return reverse("hazard-reconciliation")
    except NoReverseMatch:
        return None


class IncidentMergeView(LoginRequiredMixin, View):
    """POST `first`, `second`, `keep` (one of them) and `reason`: merges the other into the one
    kept through `incidents.reconciliation.incident_merge`; a refusal is a message, never a 500."""

    http_method_names = ["post"]

    def post(self, request):
        if not policy.may_merge(request.user):
            raise PermissionDenied(_("Your role may not merge records."))
        back = safe_next(request) or reverse("reconciliation")
        try:
            pair = [int(request.POST.get(name, "")) for name in ("first", "second")]
            keep_pk = int(request.POST.get("keep", ""))
        except ValueError:
            messages.error(request, _("Choose the incident to keep."))
            return HttpResponseRedirect(back)
        found = {i.pk: i for i in scoped(Incident.objects.all(), request.user).filter(pk__in=pair)}
        if keep_pk not in pair or len(found) != 2:
            messages.error(request, _("One of the incidents no longer exists, or is not visible to you."))
            return HttpResponseRedirect(back)
        keep = found[keep_pk]
        duplicate = found[pair[1] if keep_pk == pair[0] else pair[0]]
        try:
            incident_merge(keep=keep, duplicate=duplicate, user=request.user, reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            details = " ".join(str(m) for msgs in (exc.errors or {}).values() for m in msgs)
            messages.error(request, f"{exc.message} {details}".strip())
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do this."))
        else:
            messages.success(
                request,
                _("%(duplicate)s was merged into %(keep)s.") % {"duplicate": duplicate, "keep": keep},
            )
        return HttpResponseRedirect(back)
