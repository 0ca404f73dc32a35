"""How values read on pages and in the admin."""

from django.utils.formats import number_format


def format_area(square_metres: float | None) -> str:
    """Areas are stored in m² only; readers get m² and hectares side by side."""
    if square_metres is None:
        return "–"
    return (
        f"{number_format(round(square_metres), force_grouping=True)} m² ({number_format(square_metres / 10_000, 2)} ha)"
    )
