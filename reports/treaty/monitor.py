"""The Landmine Monitor casualty table (DOMAIN.md, "Monitor-style table")."""

from collections import defaultdict

from django.utils.translation import gettext as _

from incidents.models import Casualty
from reference.models import OrdnanceCategory
from reports.treaty import figures
from reports.treaty.counted import counted_from
from reports.treaty.structure import TEXT, Column, Row, Section, Table
from reports.treaty.tables import INJURED, KILLED, Context, describe_casualty, record_label, sadd_key, sadd_labels

# The Monitor's device groups, by the category the national database counts.
MONITOR_DEVICE_GROUPS = {
    OrdnanceCategory.AV_MINE: "av_mine",
    OrdnanceCategory.AP_MINE: "ap_mine",
    OrdnanceCategory.IMPROVISED_AP_MINE: "improvised_mine",
    OrdnanceCategory.IMPROVISED_AV_MINE: "improvised_mine",
    OrdnanceCategory.OTHER_IED: "improvised_mine",
    OrdnanceCategory.BOOBY_TRAP: "improvised_mine",
    OrdnanceCategory.CLUSTER_MUNITION_REMNANT: "erw",
    OrdnanceCategory.UXO: "erw",
    OrdnanceCategory.AXO: "erw",
    OrdnanceCategory.UNSPECIFIED_MINE: "unspecified_mine",
    OrdnanceCategory.OTHER: "unknown",
    OrdnanceCategory.UNKNOWN: "unknown",
}


def monitor_device_labels() -> dict[str, str]:
    return {
        "av_mine": _("Anti-vehicle mine"),
        "ap_mine": _("Anti-personnel mine (factory-made)"),
        "improvised_mine": _("Improvised mine"),
        "erw": _("Explosive remnants of war (ERW)"),
        "unspecified_mine": _("Unspecified mine"),
        "unknown": _("Unknown or other device"),
    }


def monitor(ctx: Context) -> list[Section]:
    """The Landmine Monitor's casualty table (DOMAIN.md, "Monitor-style table").

    Device groups, by the category the national database counts (after the Mali rule):
    - anti-vehicle mine: `av_mine`;
    - anti-personnel mine (factory-made): `ap_mine` (the Monitor keeps them apart from improvised
      mines; a row of its own rather than folded into another group);
    - improvised mine (victim-activated IEDs): `improvised_ap_mine`, `improvised_av_mine`,
      `booby_trap`, and `other_ied` when its victim set it off;
    - explosive remnants of war: `uxo`, `axo`, `cluster_munition_remnant`;
    - unspecified mine: `unspecified_mine`;
    - unknown: `unknown` and `other`.
    Casualties of command-detonated devices (`figures.COMMAND_DETONATED`) are left out of every
    total and shown on a flagged line of their own; deminers are a status of their own, as the
    Monitor reports them.
    """
    casualties = figures.casualties_of_year(ctx.user, ctx.year)
    totals: dict = defaultdict(int)
    command: dict = defaultdict(int)
    for row in figures.casualty_counts(casualties, command_detonated=True):
        outcome, count = row["outcome"], row["count"]
        if row["command_detonated"]:
            command[outcome] += count
            continue
        totals[("all", "all", outcome)] += count
        totals[("device", MONITOR_DEVICE_GROUPS.get(row["device_category"], "unknown"), outcome)] += count
        totals[("status", row["civilian_status"], outcome)] += count
        totals[("sadd", sadd_key(row["sex"], row["age_group"]), outcome)] += count
    statuses = {value: str(label) for value, label in Casualty.CivilianStatus.choices}
    blocks = [
        ("all", _("All"), {"all": _("Casualties")}),
        ("device", _("Device"), monitor_device_labels()),
        ("status", _("Civilian or military"), statuses),
        ("sadd", _("Sex and age"), sadd_labels()),
    ]
    columns = [
        Column("group", _("Disaggregation"), TEXT),
        Column("label", _("Category"), TEXT),
        Column("killed", _("Killed")),
        Column("injured", _("Injured")),
        Column("total", _("Casualties")),
    ]
    table = Table(key="M.casualties", title=_("Casualties in %(year)s") % {"year": ctx.year}, columns=columns)
    for block, block_label, labels in blocks:
        for value, label in labels.items():
            killed, injured = totals[(block, value, KILLED)], totals[(block, value, INJURED)]
            table.rows.append(
                Row({"group": block_label, "label": label, "killed": killed, "injured": injured,
                     "total": killed + injured}, total=block == "all")
            )  # fmt: skip
    table.rows.append(
        Row({"group": _("Not in the totals"), "label": _("Command-detonated IEDs"), "killed": command[KILLED],
             "injured": command[INJURED], "total": command[KILLED] + command[INJURED]}, flagged=True)
    )  # fmt: skip
    table.notes += [
        _("Casualties of approved incidents of %(year)s set off by their victims: mines, improvised mines and "
          "explosive remnants of war. A child is under 18; each block adds up to the casualties.") % {"year": ctx.year},
        _("Flagged: casualties of command-detonated IEDs (set off by command, or IEDs other than improvised mines with "
          "no sign that their victim set them off). The Landmine Monitor leaves them out of its totals; they are "
          "shown apart and counted in no other line."),
    ]  # fmt: skip
    listed, fields = figures.casualty_listing(casualties, command_detonated=True)
    included = counted_from(
        listed.filter(c_command=False), form=_("Casualties"), figure=table.title,
        record_type=record_label(Casualty), under=fields[:5],
        label=lambda k: " · ".join([monitor_device_labels()[MONITOR_DEVICE_GROUPS.get(k[4], "unknown")],
                                    statuses.get(k[3], k[3]), sadd_labels()[sadd_key(k[1], k[2])],
                                    str(dict(Casualty.Outcome.choices).get(k[0], k[0]))]),
        describe=describe_casualty(),
    )  # fmt: skip
    left_out = counted_from(
        listed.filter(c_command=True), form=_("Casualties"), figure=_("Command-detonated IEDs (not in the totals)"),
        record_type=record_label(Casualty), under=["outcome"],
        label=lambda k: " · ".join([_("Command-detonated IEDs"), str(dict(Casualty.Outcome.choices).get(k[0], k[0]))]),
        describe=describe_casualty(),
    )  # fmt: skip
    table.counted = [included, left_out]
    labels = dict(OrdnanceCategory.choices)
    device_labels = monitor_device_labels()
    mapping = Table(
        key="M.mapping",
        title=_("Device categories of the national database and the Monitor's groups"),
        columns=[Column("label", _("Device category"), TEXT), Column("group", _("Monitor group"), TEXT)],
        rows=[Row({"label": str(labels[c]), "group": device_labels[g]}) for c, g in MONITOR_DEVICE_GROUPS.items()],
        notes=[_("An IED other than an improvised mine counts as an improvised mine only when its victim set it off; "
                 "otherwise it is command-detonated and left out of the totals.")],
    )  # fmt: skip
    return [
        Section(
            key="monitor", title=_("Landmine Monitor casualty table"), short=_("Casualties"), tables=[table, mapping]
        )
    ]
