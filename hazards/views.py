"""Pages of hazardous areas and land release activities, and the reconciliation of hazardous
areas that overlap (two surveys of the same land)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from community.models import CommunityReport
from core import policy, registry
from core.display import format_area
from core.exceptions import ApplicationError
from core.pages import RecordDetailView, RecordFormView, RecordListView, record_url
from core.selectors import scoped
from hazards import services
from hazards.filters import HazardAreaFilter, LandReleaseActivityFilter
from hazards.forms import HazardAreaForm, LandReleaseActivityForm
from hazards.models import (
    ContaminationType,
    HazardArea,
    ItemFound,
    LandReleaseActivity,
    LandUse,
    QualityInspection,
)
from hazards.reconciliation import hazard_area_merge, hazard_area_overlap_candidates
from reference.selectors import country_extent

HAZARDS = "hazards"
ACTIVITIES = "activities"
# Linked records shown on a record's page; the full set is one click away, in the list.
LINKED_LIMIT = 50
# Hazardous areas examined for overlaps when none is chosen: the most recently changed ones.
RECONCILIATION_EXAMINED = 20

CHOICE_LISTS = {
    "contamination_types": dict(ContaminationType.choices),
    "contamination_types_reported": dict(ContaminationType.choices),
    "blocked_land_use": dict(LandUse.choices),
}


def choice_labels(record, name: str) -> str:
    """An array of choices by their labels, in the reader's language."""
    labels = CHOICE_LISTS[name]
    return ", ".join(str(labels.get(value, value)) for value in getattr(record, name) or []) or "–"


def _may_add(user, model) -> bool:
    return user.has_perm(registry.get(model).permission("add"))


# --- Hazardous areas ------------------------------------------------------------------------


class HazardAreaList(RecordListView):
    model = HazardArea
    page_name = HAZARDS
    filterset_class = HazardAreaFilter
    columns = (
        "reference",
        "name",
        "land_class",
        "hazard_status",
        (gettext_lazy("Contamination types"), lambda record: choice_labels(record, "contamination_types")),
        "area_m2",
        "remaining_area_m2",
        "admin_area",
        "organisation",
        "survey_date",
        "status",
    )
    # The API's ordering fields (hazards.api.views.HazardAreaViewSet).
    ordering_fields = ("updated_at", "survey_date", "area_m2", "remaining_area_m2", "reference", "priority")
    select_related = ("admin_area", "organisation")


class HazardAreaDetail(RecordDetailView):
    model = HazardArea
    page_name = HAZARDS
    template_name = "hazards/hazardarea_detail.html"
    select_related = ("admin_area", "organisation")
    fields = (
        ("", ("reference", "name", "organisation", "external_id", "land_class", "survey_date", "date_precision",
              "admin_area")),
        (gettext_lazy("Contamination and evidence"), ("area_m2", "contamination_types", "contamination_types_reported",
                                           "improvised_av_person_sensitive", "evidence", "evidence_description")),
        (gettext_lazy("Status"), ("hazard_status", "hazard_status_date", "hazard_status_reason")),
        (gettext_lazy("Impact"), ("blocked_land_use", "beneficiaries", "priority")),
        (gettext_lazy("Land release"), ("area_cancelled_m2", "area_reduced_m2", "area_cleared_m2",
                                        "remaining_area_m2")),
    )  # fmt: skip

    def sections(self, record):
        sections = super().sections(record)
        labels = {capfirst(HazardArea._meta.get_field(name).verbose_name): name for name in CHOICE_LISTS}
        return [
            (title, [(label, choice_labels(record, labels[label]) if label in labels else value)
                     for label, value in rows])
            for title, rows in sections
        ]  # fmt: skip

    def linked(self, record):
        user = self.request.user
        activities = scoped(LandReleaseActivity.objects.filter(hazard_area=record), user).order_by("-start_date", "-id")
        reports = scoped(CommunityReport.objects.filter(hazard_area=record), user).order_by("-report_date", "-id")
        return [
            (
                capfirst(LandReleaseActivity._meta.verbose_name_plural),
                [(f"{a.reference} · {a.get_kind_display()} · {a.start_date}", record_url(a))
                 for a in activities[:LINKED_LIMIT]],
            ),
            (
                _("Community reports that led to it"),
                [(f"{r.reference} · {r.report_date}", record_url(r)) for r in reports[:LINKED_LIMIT]],
            ),
        ]  # fmt: skip

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = context["record"]
        user = self.request.user
        context["activities_url"] = f"{reverse(f'{ACTIVITIES}-list')}?hazard_area={record.pk}"
        context["new_activity_url"] = (
            f"{reverse(f'{ACTIVITIES}-new')}?hazard={record.pk}" if _may_add(user, LandReleaseActivity) else None
        )
        context["overlaps_url"] = (
            f"{reverse('hazard-reconciliation')}?hazard={record.pk}" if policy.may_merge(user) else None
        )
        return context


class HazardAreaFormView(RecordFormView):
    model = HazardArea
    page_name = HAZARDS
    form_class = HazardAreaForm
    template_name = "hazards/hazardarea_form.html"

    def save(self, form, record):
        if record is None:
            saved = services.hazard_area_create(
                user=self.request.user, organisation=form.cleaned_data["organisation"], data=form.service_data()
            )
        else:
            saved = services.hazard_area_update(
                hazard=record, user=self.request.user, data=form.service_data(changed_only=True)
            )
        for note in form.geometry_notes:
            messages.info(self.request, note)
        return saved

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        extent = country_extent()
        context.update(
            map_tile_url=settings.MAP_TILE_URL,
            map_tile_attribution=settings.MAP_TILE_ATTRIBUTION,
            map_extent=f"{extent.west},{extent.south},{extent.east},{extent.north}" if extent else "",
        )
        return context


# --- Land release activities ----------------------------------------------------------------


class LandReleaseActivityList(RecordListView):
    model = LandReleaseActivity
    page_name = ACTIVITIES
    filterset_class = LandReleaseActivityFilter
    columns = (
        "reference",
        "kind",
        "report_type",
        "hazard_area",
        "start_date",
        "end_date",
        "area_cancelled_m2",
        "area_reduced_m2",
        "area_cleared_m2",
        "admin_area",
        "organisation",
        "status",
    )
    # The API's ordering fields (hazards.api.views.LandReleaseActivityViewSet).
    ordering_fields = ("updated_at", "start_date", "end_date", "reference")
    select_related = ("hazard_area", "admin_area", "organisation")


class LandReleaseActivityDetail(RecordDetailView):
    model = LandReleaseActivity
    page_name = ACTIVITIES
    template_name = "hazards/activity_detail.html"
    select_related = ("hazard_area", "admin_area", "organisation")
    fields = (
        ("", ("reference", "organisation", "external_id", "kind", "report_type", "start_date", "date_precision",
              "end_date", "admin_area")),
        (gettext_lazy("Land released"), ("area_cancelled_m2", "area_reduced_m2", "area_cleared_m2",
                                         "clearance_depth_cm")),
        (gettext_lazy("Handover"), ("handover_men", "handover_women", "handover_boys", "handover_girls")),
        (gettext_lazy("Notes"), ("notes",)),
    )  # fmt: skip

    def visible_hazard(self, record) -> HazardArea | None:
        if not record.hazard_area_id:
            return None
        if not hasattr(self, "_hazard"):
            self._hazard = scoped(HazardArea.objects.filter(pk=record.hazard_area_id), self.request.user).first()
        return self._hazard

    def geometry(self, record):
        # Where the activity has no point of its own, its polygons or its hazardous area place it.
        for name in ("location", "cleared_geometry", "reduced_geometry", "cancelled_geometry"):
            if getattr(record, name) is not None:
                return getattr(record, name)
        hazard = self.visible_hazard(record)
        return hazard.geometry if hazard is not None else None

    def linked(self, record):
        hazard = self.visible_hazard(record)
        reports = scoped(CommunityReport.objects.filter(spot_task=record), self.request.user).order_by("-report_date")
        linked = []
        if hazard is not None:
            linked.append((capfirst(HazardArea._meta.verbose_name), [(str(hazard), record_url(hazard))]))
        spot_reports = [(f"{r.reference} · {r.report_date}", record_url(r)) for r in reports[:LINKED_LIMIT]]
        if spot_reports:
            linked.append((_("Community reports that led to it"), spot_reports))
        return linked

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = context["record"]
        user = self.request.user
        context["items_found"] = list(
            scoped(ItemFound.objects.filter(activity=record), user).select_related("ordnance_type").order_by("id")
        )
        context["inspections"] = list(
            scoped(QualityInspection.objects.filter(activity=record), user)
            .select_related("inspector_organisation")
            .prefetch_related("non_conformities")
            .order_by("-inspection_date", "-id")
        )
        return context


class LandReleaseActivityFormView(RecordFormView):
    model = LandReleaseActivity
    page_name = ACTIVITIES
    form_class = LandReleaseActivityForm

    def initial(self, record):
        initial = super().initial(record)
        hazard_pk = self.request.GET.get("hazard", "")
        if record is None and hazard_pk.isdigit():
            hazard = scoped(HazardArea.objects.filter(pk=hazard_pk), self.request.user).first()
            if hazard is not None:
                initial["hazard_area"] = hazard.reference
        return initial

    def save(self, form, record):
        unit = form.unit
        if record is None:
            return services.land_release_activity_create(
                user=self.request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.service_data(),
                area_unit=unit,
            )
        return services.land_release_activity_update(
            activity=record, user=self.request.user, data=form.service_data(changed_only=True), area_unit=unit
        )


# --- Reconciliation of overlapping hazardous areas -----------------------------------------


class HazardReconciliationView(LoginRequiredMixin, TemplateView):
    """Open hazardous areas that overlap beyond the threshold (HAZARD_OVERLAP_THRESHOLD), side
    by side, each pair with a merge form. The authority's work (`core.policy.may_merge`).

    The search is bounded: around one hazardous area (`?hazard=<pk>`), or around the
    RECONCILIATION_EXAMINED most recently changed open ones."""

    template_name = "hazards/reconciliation.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policy.may_merge(request.user):
            raise PermissionDenied(_("Only the national authority merges records."))
        return super().dispatch(request, *args, **kwargs)

    def _hazards(self):
        return scoped(HazardArea.objects.select_related("organisation", "admin_area"), self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        chosen = None
        asked = self.request.GET.get("hazard", "")
        if asked:
            if not asked.isdigit():
                raise Http404
            chosen = get_object_or_404(self._hazards(), pk=int(asked))
            examined = [chosen]
        else:
            examined = list(
                self._hazards()
                .filter(hazard_status=HazardArea.HazardStatus.OPEN)
                .order_by("-updated_at", "-id")[:RECONCILIATION_EXAMINED]
            )
        pairs, seen = [], set()
        for hazard in examined:
            for candidate in hazard_area_overlap_candidates(hazard=hazard, user=user):
                key = frozenset((hazard.pk, candidate.pk))
                if key in seen:
                    continue
                seen.add(key)
                pairs.append(
                    {
                        "first": hazard,
                        "second": candidate,
                        "overlap": format_area(candidate.overlap_m2),
                        "share": number_format(candidate.share * 100, 0),
                        "first_url": record_url(hazard),
                        "second_url": record_url(candidate),
                        "first_area": format_area(hazard.area_m2),
                        "second_area": format_area(candidate.area_m2),
                        "first_remaining": format_area(hazard.remaining_area_m2),
                        "second_remaining": format_area(candidate.remaining_area_m2),
                        "first_contamination": choice_labels(hazard, "contamination_types"),
                        "second_contamination": choice_labels(candidate, "contamination_types"),
                    }
                )
        try:
            incidents_url = reverse("reconciliation")
        except NoReverseMatch:
            incidents_url = None
        context.update(
            pairs=pairs,
            chosen=chosen,
            examined=len(examined),
            threshold=number_format(float(settings.HAZARD_OVERLAP_THRESHOLD) * 100, 0),
            incidents_url=incidents_url,
        )
        return context

    def post(self, request, *args, **kwargs):
        target = reverse("hazard-reconciliation")
        ids = [request.POST.get("first", ""), request.POST.get("second", "")]
        keep_id = request.POST.get("keep", "")
        if not all(value.isdigit() for value in ids) or keep_id not in ids or ids[0] == ids[1]:
            messages.error(request, _("Choose which of the two hazardous areas to keep."))
            return HttpResponseRedirect(target)
        pair = {hazard.pk: hazard for hazard in self._hazards().filter(Q(pk=ids[0]) | Q(pk=ids[1]))}
        if len(pair) != 2:
            messages.error(request, _("One of the hazardous areas no longer exists, or is not visible to you."))
            return HttpResponseRedirect(target)
        keep = pair.pop(int(keep_id))
        duplicate = next(iter(pair.values()))
        try:
            merged = hazard_area_merge(keep=keep, duplicate=duplicate, user=request.user,
                                       reason=request.POST.get("reason", "")[:400])  # fmt: skip
        except ApplicationError as exc:
            details = " ".join(str(m) for msgs in (exc.errors or {}).values() for m in msgs)
            messages.error(request, f"{duplicate} → {keep}: {details or exc.message}")
        except PermissionDenied as exc:
            messages.error(request, f"{duplicate} → {keep}: {exc}")
        else:
            messages.success(
                request,
                _("%(duplicate)s was merged into %(keep)s.") % {"duplicate": duplicate.reference, "keep": merged},
            )
        return HttpResponseRedirect(target)
