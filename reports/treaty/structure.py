"""The shape of a treaty report: sections (one per form), tables of labelled rows and columns,
notes, and the records each figure counted. Pure data, written by `reports.treaty.sections` and
read by the document writers (`reports.treaty.documents`)."""

import datetime
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# What a column holds, and how the documents write it.
TEXT = "text"
INT = "int"
M2 = "m2"
HA = "ha"
KM2 = "km2"
DEGREES = "degrees"
PERCENT = "percent"
NUMERIC_KINDS = frozenset({INT, M2, HA, KM2, DEGREES, PERCENT})


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = INT

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class Row:
    """One line of a table: `values` by column key (the first column is usually the label).
    `total` rows close a table; `flagged` rows are shown apart and not in the totals."""

    values: dict
    total: bool = False
    flagged: bool = False


@dataclass(frozen=True)
class CountedRecord:
    """One record a figure counted, as the traceability list shows it."""

    record_type: str
    id: int
    reference: str
    path: str
    counted_under: str


@dataclass
class Counted:
    """The records a figure counted (one or more tables of a section), kept as ids so that a
    million casualties cost a few megabytes; `records()` reads each one's reference and page.

    `under[i]` indexes `under_labels`: the row of the figure the record counted under.
    """

    form: str
    figure: str
    record_type: str
    ids: array = field(default_factory=lambda: array("q"))
    under: array = field(default_factory=lambda: array("I"))
    under_labels: list[str] = field(default_factory=list)
    # Reads (id, reference, path) for a chunk of ids, in any order (reports.treaty.counted).
    describe: Callable[[list[int]], dict[int, tuple[str, str]]] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def records(self, *, chunk: int = 5000) -> Iterator[CountedRecord]:
        for start in range(0, len(self.ids), chunk):
            ids = list(self.ids[start : start + chunk])
            described = self.describe(ids) if self.describe is not None else {}
            for index, pk in enumerate(ids):
                reference, path = described.get(pk, ("", ""))
                yield CountedRecord(
                    record_type=self.record_type,
                    id=pk,
                    reference=reference,
                    path=path,
                    counted_under=self.under_labels[self.under[start + index]],
                )


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The records its figures counted (a flagged line may count a set of its own).
    counted: list[Counted] = field(default_factory=list)
    # A list of records rather than figures: a long one is left to the XLSX in DOCX and PDF.
    listing: bool = False
    # Said instead of an empty table.
    empty_text: str = ""


@dataclass
class Section:
    key: str
    title: str
    # A short name (a spreadsheet's sheet): "Form C".
    short: str = ""
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counted(self) -> list[Counted]:
        """Each record set once, in the order of the tables that counted it."""
        seen: dict[int, Counted] = {}
        for table in self.tables:
            for counted in table.counted:
                seen.setdefault(id(counted), counted)
        return list(seen.values())


@dataclass
class Report:
    kind: str
    title: str
    year: int
    scope: str
    generated_at: datetime.datetime
    language: str
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counted(self) -> list[Counted]:
        return [counted for section in self.sections for counted in section.counted]

    @property
    def counted_rows(self) -> int:
        """Rows of the traceability list: one per record per figure."""
        return sum(len(counted) for counted in self.counted)

    def table(self, key: str) -> Table:
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        raise KeyError(key)
