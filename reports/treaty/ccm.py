"""The CCM Article 7 report (Convention on Cluster Munitions): Form F contaminated areas and
clearance, Form G risk education, Form H victim assistance."""

from django.utils.translation import gettext as _

from hazards.models import ContaminationType
from reference.country import level_name
from reference.models import OrdnanceCategory
from reports.treaty import figures
from reports.treaty.structure import Section
from reports.treaty.tables import (
    Context,
    casualty_tables,
    hazard_tables,
    items_tables,
    release_by_region_table,
    risk_education_table,
    services_table,
)


def ccm(ctx: Context, *, recorded: bool) -> list[Section]:
    year = ctx.year
    cluster = [ContaminationType.CLUSTER_MUNITIONS]
    none_recorded = _("No cluster munition remnant is recorded in the national database.")
    form_f = Section(
        key="ccm_form_f",
        short=_("Form F"),
        title=_("Form F: areas contaminated by cluster munition remnants, and their clearance"),
        notes=[] if recorded else [none_recorded],
    )
    form_f.tables = hazard_tables(
        ctx, form=form_f.short, prefix="F",
        groups=[("cluster", _("Areas with cluster munition remnants"), cluster,
                 _("No area with cluster munition remnants was open on %(day)s.") % {"day": ctx.end})],
    )  # fmt: skip
    form_f.tables += items_tables(
        ctx, form=form_f.short, prefix="F", first_number=3,
        categories=[(OrdnanceCategory.CLUSTER_MUNITION_REMNANT, _("Cluster munition remnants destroyed"),
                     _("No cluster munition remnant is recorded as destroyed in %(year)s.") % {"year": year})],
    )  # fmt: skip
    form_f.tables.append(
        release_by_region_table(
            ctx, figures.activities_releasing(ctx.user, year=year, hazard_contamination=cluster), form=form_f.short,
            key="F.release", title="F.4 " + _("Land released in %(year)s in areas with cluster munition remnants")
            % {"year": year},
            empty_text=_("No land was released in %(year)s in areas with cluster munition remnants.") % {"year": year},
        )
    )  # fmt: skip
    form_f.notes.append(
        _(
            "Areas surveyed by %(day)s and still open that day; items and land released by approved activities that "
            "started in %(year)s."
        )
        % {"day": ctx.end, "year": year}
    )
    form_g = Section(
        key="ccm_form_g",
        short=_("Form G"),
        title=_("Form G: risk education"),
        notes=[
            _("Approved risk education sessions of %(year)s, on every kind of explosive ordnance.") % {"year": year}
        ],
    )
    form_g.tables = [
        risk_education_table(ctx, form=form_g.short, key="G.risk_education",
                             title="G.1 " + _("Risk education by %(level)s")
                             % {"level": level_name(figures.REGION_LEVEL).lower()})
    ]  # fmt: skip
    form_h = Section(
        key="ccm_form_h", short=_("Form H"),
        title=_("Form H: victim assistance"),
        notes=[
            *([] if recorded else [none_recorded]),
            _("Casualties of approved cluster munition incidents of %(year)s (incident class or device category), and "
              "services started in %(year)s for survivors of cluster munition incidents.") % {"year": year},
        ],
    )  # fmt: skip
    form_h.tables = casualty_tables(
        ctx, figures.casualties_of_year(ctx.user, year, cluster_munitions=True), form=form_h.short, prefix="H",
        devices=False, empty_text=_("No casualty of cluster munitions is recorded in %(year)s.") % {"year": year},
    )  # fmt: skip
    form_h.tables.append(
        services_table(
            ctx, figures.services_started(ctx.user, year, cluster_munitions=True), form=form_h.short, key="H.services",
            title="H.3 " + _("Services started in %(year)s for survivors of cluster munitions") % {"year": year},
            empty_text=_("No service for a survivor of cluster munitions is recorded as started in %(year)s.")
            % {"year": year},
        )
    )  # fmt: skip
    return [form_f, form_g, form_h]
