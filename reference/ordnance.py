"""The device category the national database counts, wherever a device is recorded.

One rule for incidents, items found in land release, community reports and the contamination
of hazardous areas, kept here beside the ordnance catalogue so that every app imports it
without importing another domain app.

Mali rule (Mine Action Review, Clearing the Mines 2025, recommendation to Mali; APMBC Art. 2):
an improvised anti-vehicle mine sensitive enough to be detonated by a person is recorded as an
improvised anti-personnel mine; what the reporter wrote is kept, and every reclassification is
listed in the data-quality report (`quality.selectors`).
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from reference.models import OrdnanceCategory

# How a device was set off: values of `incidents.models.Incident.HowActivated`.
STEPPED_ON = "stepped_on"
TRIPWIRE = "tripwire"
HANDLED = "handled"
UNKNOWN = "unknown"
# Only a person steps on a device or pulls its tripwire (an animal has its own value).
PERSON_ONLY_ACTIVATIONS = frozenset({STEPPED_ON, TRIPWIRE})
# Handling is a person's contact too, unless an anti-handling device did it (APMBC Art. 2.1).
PERSON_ACTIVATIONS = PERSON_ONLY_ACTIVATIONS | {HANDLED}

# Contamination of a hazardous area: values of `hazards.models.ContaminationType`.
IMPROVISED_AV_MINES = "improvised_av_mines"
IMPROVISED_AP_MINES = "improvised_ap_mines"


def set_off_by_a_person(
    *, person_activated: bool | None, how_activated: str = UNKNOWN, anti_handling_device: bool | None = None
) -> bool:
    """Whether the record says that the device's main charge is set off by a person.

    - An explicit `person_activated` is respected: true or false, it is never overridden
      (`activation_contradiction` refuses a false that the record itself contradicts).
    - Handled with an anti-handling device fitted: no. APMBC Art. 2.1: "Mines designed to be
      detonated by the presence, proximity or contact of a vehicle as opposed to a person, that
      are equipped with anti-handling devices, are not considered anti-personnel mines as a
      result of being so equipped"; Art. 2.3: an anti-handling device activates when an attempt
      is made to tamper with or otherwise intentionally disturb the mine. This holds even when
      the reporter answered that a person set it off: the person set off the anti-handling
      device, not a charge sensitive to people.
    - Otherwise stepped on, a tripwire, or handled without an anti-handling device (a person's
      handling set the main charge off): yes. Anything else (vehicle, command, unknown...): no.
    """
    if how_activated == HANDLED and anti_handling_device is True:
        return False
    if person_activated is not None:
        return person_activated
    return how_activated in PERSON_ACTIVATIONS


def classify_device(
    *,
    reported: str,
    person_activated: bool | None = None,
    how_activated: str = UNKNOWN,
    anti_handling_device: bool | None = None,
) -> str:
    """The device category the national database counts, from the category as reported.

    Mali rule (Mine Action Review, Clearing the Mines 2025, recommendation to Mali; APMBC
    Art. 2.1, an anti-personnel mine is "designed to be exploded by the presence, proximity or
    contact of a person"): an improvised anti-vehicle mine sensitive enough to be detonated by a
    person is counted as an improvised anti-personnel mine. Precisely, an improvised AV mine is
    counted as an improvised AP mine when:
    - `person_activated` is true, unless it was handled with an anti-handling device fitted;
    - or `person_activated` is not given (None) and it was stepped on, set off by a tripwire,
      or handled without an anti-handling device fitted (`anti_handling_device` false or not
      known): a person's handling set the main charge off.
    It stays an improvised AV mine when `person_activated` is false (an explicit answer is never
    overridden), when a vehicle, a command or an unknown cause set it off, and when it was
    handled with an anti-handling device fitted: APMBC Art. 2.1, mines designed to be detonated
    by a vehicle "that are equipped with anti-handling devices, are not considered anti-personnel
    mines as a result of being so equipped". Every other category is counted as reported.

    For a device found rather than set off (an item found, a community report),
    `person_activated` says whether its main charge is sensitive enough to be set off by a person.
    """
    if reported != OrdnanceCategory.IMPROVISED_AV_MINE:
        return reported
    if set_off_by_a_person(
        person_activated=person_activated, how_activated=how_activated, anti_handling_device=anti_handling_device
    ):
        return OrdnanceCategory.IMPROVISED_AP_MINE
    return reported


def activation_contradiction(
    *, person_activated: bool | None, how_activated: str, anti_handling_device: bool | None = None
) -> str | None:
    """Why an explicit "not set off by a person" contradicts how the device was set off, or None.

    A false `person_activated` is respected by `classify_device`, so a record that says
    otherwise elsewhere is refused rather than silently counted one way or the other: stepped
    on or a tripwire means a person set it off; handled with no anti-handling device fitted
    means a person's handling set the main charge off (APMBC Art. 2.1 and 2.3).
    """
    if person_activated is not False:
        return None
    if how_activated in PERSON_ONLY_ACTIVATIONS:
        return _(
            "Stepped on or set off by a tripwire means a person set the device off: "
            "answer yes or leave it unknown, or correct how it was activated."
        )
    if how_activated == HANDLED and anti_handling_device is False:
        return _(
            "Handled with no anti-handling device fitted means a person's handling set the device off: "
            "answer yes or leave it unknown, or correct the anti-handling device or how it was activated."
        )
    return None


def recount_category(*, category: str, kept: str, person_sensitive: bool | None) -> tuple[str, str]:
    """(counted, kept) for a record whose category field is both the input and the counted value
    and whose `*_reported` field keeps the reporter's value only where the two differ.

    The record may come back with the counted value it was given (an API client sending back
    what it read, a form showing it): a record that keeps a reported value and holds what the
    Mali rule makes of it still says what the reporter wrote. Any other category is the
    reporter's new value. The rule then applies again (`classify_device`).
    """
    reported = category
    if kept and category == classify_device(reported=kept, person_activated=True):
        reported = kept
    counted = classify_device(reported=reported, person_activated=person_sensitive)
    return counted, (reported if counted != reported else "")


def classify_contamination(*, reported: Iterable[str], improvised_av_person_sensitive: bool | None) -> list[str]:
    """The contamination types a hazardous area counts, from the types as reported.

    Mali rule (Mine Action Review, Clearing the Mines 2025; APMBC Art. 2.1, see
    `classify_device`): when the improvised anti-vehicle mines of an area are sensitive enough
    to be set off by a person, the area is counted as contaminated by improvised anti-personnel
    mines instead. Order is kept and a type is listed once. An area with both kinds lists
    improvised AP mines beside improvised AV mines and is not marked person-sensitive.
    """
    counted: list[str] = []
    for kind in reported:
        if kind == IMPROVISED_AV_MINES and improvised_av_person_sensitive is True:
            kind = IMPROVISED_AP_MINES
        if kind not in counted:
            counted.append(kind)
    return counted


def recount_contamination(
    *, types: Iterable[str], kept: Iterable[str], improvised_av_person_sensitive: bool | None
) -> tuple[list[str], list[str]]:
    """(counted, kept) contamination types, as `recount_category` does for one category.

    Type by type: where the kept types hold improvised AV mines, the improvised AP mines of
    `types` are what the rule made of them (with the reporter's own improvised AP mines, if
    the kept types list them too); every other type is the reporter's as it stands, so types
    added or removed since (an edit, a merge of two areas) are taken as they are.
    """
    kept = list(kept or [])
    reported: list[str] = []
    for kind in types or []:
        if kind == IMPROVISED_AP_MINES and IMPROVISED_AV_MINES in kept:
            # In the reporter's order: improvised AV mines, and their own AP mines if they gave any.
            reported.extend(k for k in kept if k in (IMPROVISED_AV_MINES, IMPROVISED_AP_MINES))
        else:
            reported.append(kind)
    # A type is listed once, so that only the rule makes the counted types differ.
    reported = list(dict.fromkeys(reported))
    counted = classify_contamination(reported=reported, improvised_av_person_sensitive=improvised_av_person_sensitive)
    return counted, (reported if counted != reported else [])
