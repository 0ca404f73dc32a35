"""The APMBC Article 7 report (Anti-Personnel Mine Ban Convention; due 30 April for the previous
calendar year): Form C mined areas, Form F land released, Form G AP mines destroyed, Form I warning
the population (marking, risk education), Form J casualties and victim assistance."""

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
    marking_table,
    release_by_region_table,
    risk_education_table,
    services_table,
)


def article7(ctx: Context) -> list[Section]:
    year = ctx.year
    open_note = _(
        "Approved hazardous areas surveyed by %(day)s and still open that day: neither handed over nor wholly released "
        "by approved land release activities that started by then. Remaining area: the area less what those "
        "activities released."
    ) % {"day": ctx.end}
    form_c = Section(
        key="form_c", short=_("Form C"),
        title=_("Form C: areas that contain or are suspected to contain anti-personnel mines"),
        notes=[
            open_note,
            _("Improvised anti-personnel mines are listed apart from factory-made ones; an area holding both is in "
              "both lists. Improvised anti-vehicle mines sensitive to a person count as improvised anti-personnel "
              "mines (Mali rule, APMBC Art. 2.1)."),
        ],
    )  # fmt: skip
    form_c.tables = hazard_tables(
        ctx, form=form_c.short, prefix="C",
        groups=[
            ("ap", _("Areas with anti-personnel mines (factory-made)"), [ContaminationType.AP_MINES],
             _("No area with factory-made anti-personnel mines was open on %(day)s.") % {"day": ctx.end}),
            ("improvised", _("Areas with improvised anti-personnel mines"), [ContaminationType.IMPROVISED_AP_MINES],
             _("No area with improvised anti-personnel mines was open on %(day)s.") % {"day": ctx.end}),
        ],
    )  # fmt: skip

    form_f = Section(
        key="form_f", short=_("Form F"),
        title=_("Form F: status of programmes for the destruction of anti-personnel mines: land released"),
        notes=[
            _("Approved land release activities that started in %(year)s, by the %(level)s of the activity, as the "
              "land release statistics (/api/v1/statistics/land-release-activities/) sum them: cancelled by "
              "non-technical survey, reduced by technical survey, cleared. Activities of every contamination count; "
              "those that released nothing are left out.")
            % {"year": year, "level": level_name(figures.REGION_LEVEL).lower()},
        ],
    )  # fmt: skip
    form_f.tables = [
        release_by_region_table(
            ctx,
            figures.activities_releasing(ctx.user, year=year),
            form=form_f.short,
            key="F.release",
            title="F.1 "
            + _("Land released in %(year)s by %(level)s")
            % {"year": year, "level": level_name(figures.REGION_LEVEL).lower()},
            empty_text=_("No land release is recorded in %(year)s.") % {"year": year},
        )
    ]

    form_g = Section(
        key="form_g", short=_("Form G"),
        title=_("Form G: anti-personnel mines destroyed"),
        notes=[
            _("Items found and recorded as destroyed in approved activities that started in %(year)s, by model; "
              "improvised anti-personnel mines apart from factory-made ones.") % {"year": year},
        ],
    )  # fmt: skip
    form_g.tables = items_tables(
        ctx, form=form_g.short, prefix="G",
        categories=[
            (OrdnanceCategory.AP_MINE, _("Anti-personnel mines destroyed (factory-made)"),
             _("No factory-made anti-personnel mine is recorded as destroyed in %(year)s.") % {"year": year}),
            (OrdnanceCategory.IMPROVISED_AP_MINE, _("Improvised anti-personnel mines destroyed"),
             _("No improvised anti-personnel mine is recorded as destroyed in %(year)s.") % {"year": year}),
        ],
    )  # fmt: skip

    form_i = Section(
        key="form_i",
        short=_("Form I"),
        title=_("Form I: measures to warn the population"),
        notes=[_("Approved marking activities and risk education sessions of %(year)s.") % {"year": year}],
    )
    level = level_name(figures.REGION_LEVEL).lower()
    form_i.tables = [
        marking_table(ctx, form=form_i.short, key="I.marking",
                      title="I.1 " + _("Marking of hazardous areas and items by %(level)s") % {"level": level}),
        risk_education_table(ctx, form=form_i.short, key="I.risk_education",
                             title="I.2 " + _("Risk education by %(level)s") % {"level": level}),
    ]  # fmt: skip

    form_j = Section(
        key="form_j", short=_("Form J"),
        title=_("Form J: other relevant matters: casualties and victim assistance"),
        notes=[
            _("Casualties of approved incidents of %(year)s, every device included (the Landmine Monitor table leaves "
              "command-detonated devices out). A child is under 18.") % {"year": year},
        ],
    )  # fmt: skip
    form_j.tables = casualty_tables(
        ctx, figures.casualties_of_year(ctx.user, year), form=form_j.short, prefix="J", devices=True,
        empty_text=_("No casualty is recorded in %(year)s.") % {"year": year},
    )  # fmt: skip
    form_j.tables.append(
        services_table(
            ctx, figures.services_started(ctx.user, year), form=form_j.short, key="J.services",
            title="J.4 " + _("Victim assistance services started in %(year)s") % {"year": year},
            empty_text=_("No victim assistance service is recorded as started in %(year)s.") % {"year": year},
        )
    )  # fmt: skip
    return [form_c, form_f, form_g, form_i, form_j]
