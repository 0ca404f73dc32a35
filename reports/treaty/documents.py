"""A treaty report written as XLSX (openpyxl), DOCX (python-docx) or PDF (reportlab).

- XLSX: a first sheet with the title and notes, one sheet per form (bold headers, numbers as
  numbers, widths set), and "Records counted": one row per record per figure, every text cell
  through `reports.exports.neutralise` (a cell starting like a formula is never run).
- DOCX: a heading per form and Word tables an officer can edit.
- PDF: platypus tables with their header repeated on each page, page numbers, a font that prints
  French accents and any Latin text (DejaVu Sans, else reportlab's own Vera).
In DOCX and PDF the records counted are listed in an annex when they are at most
`ANNEX_LIMIT` rows in all; above that the annex says the list is in the XLSX version.
"""

import datetime
import os
from collections.abc import Iterator
from pathlib import Path

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from reports.exports import neutralise
from reports.treaty.structure import DEGREES, HA, INT, KM2, M2, PERCENT, Column, Report, Row, Table

ANNEX_LIMIT = 5000
# Rows of an XLSX sheet after its header (Excel's limit is 1,048,576).
SHEET_ROWS = 1_048_000
DECIMALS = {INT: 0, M2: 0, HA: 2, KM2: 4, DEGREES: 6, PERCENT: 1}
EXCEL_FORMATS = {INT: "#,##0", M2: "#,##0", HA: "#,##0.00", KM2: "#,##0.0000", DEGREES: "0.000000", PERCENT: "0.0"}


def display(value, column: Column) -> str:
    """A value as a reader reads it in a document: numbers grouped in the active language's way,
    m² to the unit, coordinates to six decimals."""
    if value is None or value == "":
        return ""
    if column.numeric and isinstance(value, int | float):
        return number_format(value, DECIMALS[column.kind], force_grouping=column.kind != DEGREES)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def counted_header() -> list[str]:
    return [_("Form"), _("Figure"), _("Record type"), _("Id"), _("Reference or external identifier"), _("Page"),
            _("Counted under")]  # fmt: skip


def counted_rows(report: Report) -> Iterator[list]:
    for counted in report.counted:
        for record in counted.records():
            yield [counted.form, counted.figure, record.record_type, record.id, record.reference, record.path,
                   record.counted_under]  # fmt: skip


def _too_long_for_documents(table: Table) -> bool:
    return table.listing and len(table.rows) > ANNEX_LIMIT


def _listing_left_out(table: Table) -> str:
    return _(
        "%(count)s rows: too many for this document; the list is in the XLSX version of this report, "
        "whose totals are the same."
    ) % {"count": number_format(len(table.rows), 0, force_grouping=True)}


def _annex_text(report: Report) -> str | None:
    """What the annex says instead of the list, or None when it lists the records."""
    rows = report.counted_rows
    if rows == 0:
        return _("No record was counted.")
    if rows > ANNEX_LIMIT:
        return _(
            "The figures counted %(rows)s records (one row per record per figure): more than %(limit)s, too many for "
            "this document. The full list, with each record's reference and page, is in the XLSX version of this "
            "report (sheet “Records counted”)."
        ) % {
            "rows": number_format(rows, 0, force_grouping=True),
            "limit": number_format(ANNEX_LIMIT, 0, force_grouping=True),
        }
    return None


def _published(path, write) -> None:
    """Writes to `path` and flushes it to the disk (the caller names the file)."""
    write(path)
    with open(path, "rb") as written:
        os.fsync(written.fileno())


# --- XLSX ---------------------------------------------------------------------------------------------


def _sheet_names(report: Report) -> list[str]:
    names: list[str] = []
    for section in report.sections:
        base = "".join(" " if ch in "[]:*?/\\" else ch for ch in (section.short or section.title))[:31].strip()
        name, number = base, 2
        while name.lower() in {n.lower() for n in names}:
            suffix = f" {number}"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        names.append(name)
    return names


def _width(value) -> int:
    return (
        len(value) if isinstance(value, str) else len(f"{value:,.2f}") if isinstance(value, float) else len(str(value))
    )


def write_xlsx(report: Report, path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold, italic, title_font = Font(bold=True), Font(italic=True), Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor="DDE3EA")
    flag_fill = PatternFill("solid", fgColor="FCE8C8")
    wrap = Alignment(wrap_text=True, vertical="top")

    def text(sheet, value, font=None):
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        if font is not None:
            cell.font = font
        return cell

    def value_cell(sheet, value, column: Column, row: Row):
        if column.numeric and isinstance(value, int | float):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = EXCEL_FORMATS[column.kind]
        else:
            cell = WriteOnlyCell(sheet, value=neutralise("" if value is None else str(value)))
        if row.total:
            cell.font = bold
        if row.flagged:
            cell.font, cell.fill = italic, flag_fill
        return cell

    cover = workbook.create_sheet(pgettext("a spreadsheet's first sheet", "Report")[:31])
    cover.column_dimensions["A"].width = 18
    cover.column_dimensions["B"].width = 110
    cover.append([text(cover, report.title, title_font)])
    for note in report.notes:
        cover.append([text(cover, note)])
    cover.append([])
    cover.append([text(cover, _("Sheets"), bold)])
    names = _sheet_names(report)
    for name, section in zip(names, report.sections, strict=True):
        cover.append([text(cover, name), text(cover, section.title)])
    cover.append([text(cover, _("Records counted")), text(cover, _("One row per record per figure."))])

    for name, section in zip(names, report.sections, strict=True):
        sheet = workbook.create_sheet(name)
        widths: dict[int, int] = {}
        for table in section.tables:
            for index, column in enumerate(table.columns):
                # Headers wrap; values do not.
                longest = max(
                    [min(_width(column.label), 16), *(_width(row.values.get(column.key)) for row in table.rows)]
                )
                widths[index] = max(widths.get(index, 8), min(longest + 2, 50))
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        sheet.append([text(sheet, section.title, title_font)])
        for note in section.notes:
            sheet.append([text(sheet, note, italic)])
        for table in section.tables:
            sheet.append([])
            sheet.append([text(sheet, table.title, bold)])
            if not table.rows:
                sheet.append([text(sheet, table.empty_text or _("Nothing to report."))])
            else:
                header = []
                for column in table.columns:
                    cell = text(sheet, column.label, bold)
                    cell.fill, cell.alignment = header_fill, wrap
                    header.append(cell)
                sheet.append(header)
                for row in table.rows:
                    sheet.append([value_cell(sheet, row.values.get(c.key), c, row) for c in table.columns])
            for note in table.notes:
                sheet.append([text(sheet, note, italic)])

    header = counted_header()
    sheet, written, part = None, SHEET_ROWS, 1
    for values in counted_rows(report):
        if written >= SHEET_ROWS:
            title = _("Records counted") if part == 1 else f"{_('Records counted')} ({part})"
            sheet = workbook.create_sheet(title[:31])
            for letter, width in zip("ABCDEFG", (22, 40, 24, 10, 30, 28, 60), strict=True):
                sheet.column_dimensions[letter].width = width
            sheet.append([text(sheet, label, bold) for label in header])
            written, part = 0, part + 1
        sheet.append([neutralise(value) for value in values])
        written += 1
    if sheet is None:
        sheet = workbook.create_sheet(_("Records counted")[:31])
        sheet.append([text(sheet, label, bold) for label in header])
        sheet.append([_("No record was counted.")])
    _published(path, workbook.save)


# --- DOCX -----------------------------------------------------------------------------------------------


def write_docx(report: Report, path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Cm(1.5))
    document.styles["Normal"].font.size = Pt(10)
    document.core_properties.title = report.title[:255]
    document.core_properties.language = report.language

    def shade(cell, colour: str) -> None:
        properties = cell._tc.get_or_add_tcPr()
        fill = OxmlElement("w:shd")
        fill.set(qn("w:val"), "clear")
        fill.set(qn("w:color"), "auto")
        fill.set(qn("w:fill"), colour)
        properties.append(fill)

    def fill_cell(cell, value: str, *, bold=False, italic=False, right=False) -> None:
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(value)
        run.font.size = Pt(8)
        run.bold, run.italic = bold or None, italic or None
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def add_table(columns: list[Column], rows: Iterator[tuple[list[str], Row | None]]) -> None:
        table = document.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header = table.rows[0]
        # Repeated at the top of each page.
        header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for cell, column in zip(header.cells, columns, strict=True):
            fill_cell(cell, column.label, bold=True)
            shade(cell, "DDE3EA")
        for values, row in rows:
            cells = table.add_row().cells
            for cell, value, column in zip(cells, values, columns, strict=True):
                fill_cell(
                    cell, value, bold=bool(row and row.total), italic=bool(row and row.flagged), right=column.numeric
                )
                if row is not None and row.flagged:
                    shade(cell, "FCE8C8")

    def note(text: str) -> None:
        paragraph = document.add_paragraph()
        paragraph.add_run(text).italic = True

    document.add_heading(report.title, 0)
    for text in report.notes:
        document.add_paragraph(text)
    for section in report.sections:
        document.add_heading(section.title, 1)
        for text in section.notes:
            note(text)
        for table in section.tables:
            document.add_heading(table.title, 2)
            if not table.rows:
                document.add_paragraph(table.empty_text or _("Nothing to report."))
            elif _too_long_for_documents(table):
                document.add_paragraph(_listing_left_out(table))
            else:
                add_table(
                    table.columns,
                    (([display(row.values.get(c.key), c) for c in table.columns], row) for row in table.rows),
                )
            for text in table.notes:
                note(text)
    document.add_heading(_("Annex: records counted"), 1)
    annex = _annex_text(report)
    if annex is not None:
        document.add_paragraph(annex)
    else:
        note(_("One row per record per figure, with the page of the record in the national database."))
        columns = [Column(str(i), label, INT if i == 3 else "text") for i, label in enumerate(counted_header())]
        add_table(columns, (([str(v) for v in values], None) for values in counted_rows(report)))
    _published(path, document.save)


# --- PDF ---------------------------------------------------------------------------------------------------------

# Fonts with Latin Extended glyphs (French accents and beyond): Debian's DejaVu (fonts-dejavu-core),
# else the Vera fonts reportlab ships.
_FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu", ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")),
    (None, ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf")),
)


def _pdf_fonts() -> tuple[str, str, str]:
    from reportlab import rl_config
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = ("ReportSans", "ReportSans-Bold", "ReportSans-Italic")
    if names[0] in pdfmetrics.getRegisteredFontNames():
        return names
    for folder, files in _FONT_FILES:
        if folder is None:
            import reportlab

            folder = str(Path(reportlab.__file__).parent / "fonts")
        paths = [Path(folder) / name for name in files]
        if all(p.is_file() for p in paths):
            for name, file in zip(names, paths, strict=True):
                pdfmetrics.registerFont(TTFont(name, str(file)))
            addMapping(names[0], 0, 0, names[0])
            addMapping(names[0], 1, 0, names[1])
            addMapping(names[0], 0, 1, names[2])
            addMapping(names[0], 1, 1, names[1])
            return names
    rl_config.warnOnMissingFontGlyphs = 0
    return ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")


# Points of padding on both sides of a cell (6 each, reportlab's default), and a point to spare.
_CELL_PADDING = 13
# Rows measured to size the columns: enough to see every kind of value, bounded for long lists.
_MEASURED_ROWS = 300


def _column_widths(columns: list[Column], rows, usable: float, regular: str, bold: str) -> list[float]:
    """Widths within the page: each column at least as wide as its longest word (a number never
    wraps), and the room left shared by how much more each column's longest text wants."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    least, wanted = [], []
    for index, column in enumerate(columns):
        header_words = column.label.split() or [""]
        narrowest = max(stringWidth(word, bold, 7) for word in header_words)
        widest = stringWidth(column.label, bold, 7)
        for values, row in rows[:_MEASURED_ROWS]:
            value = values[index]
            font = bold if row is not None and row.total else regular
            full = stringWidth(value, font, 7)
            widest = max(widest, full)
            longest_word = full if column.numeric else max((stringWidth(w, font, 7) for w in value.split()), default=0)
            narrowest = max(narrowest, min(longest_word, usable / 4))
        least.append(narrowest + _CELL_PADDING)
        wanted.append(min(widest, usable / 2) + _CELL_PADDING)
    if sum(wanted) <= usable:
        return wanted
    spare = max(usable - sum(least), 0)
    extra = [w - m for w, m in zip(wanted, least, strict=True)]
    share = sum(extra) or 1
    return [m + spare * e / share for m, e in zip(least, extra, strict=True)]


def write_pdf(report: Report, path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    regular, bold, italic = _pdf_fonts()
    styles = {
        "title": ParagraphStyle("title", fontName=bold, fontSize=15, leading=19, spaceAfter=8),
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=10, leading=13, spaceBefore=8, spaceAfter=3),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=12, spaceAfter=3),
        "note": ParagraphStyle("note", fontName=italic, fontSize=8, leading=10.5, spaceAfter=3),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7, leading=8.5),
        "cell_right": ParagraphStyle("cell_right", fontName=regular, fontSize=7, leading=8.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7, leading=8.5),
        "head_right": ParagraphStyle("head_right", fontName=bold, fontSize=7, leading=8.5, alignment=TA_RIGHT),
    }
    page_size = landscape(A4)
    margin = 1.5 * cm
    usable = page_size[0] - 2 * margin
    footer = report.title if len(report.title) <= 110 else report.title[:107] + "…"

    class NumberedCanvas(Canvas):
        """Writes "page n of N" once every page is laid out."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(regular, 7)
                self.setFillColor(colors.grey)
                self.drawString(margin, 0.8 * cm, footer)
                self.drawRightString(
                    page_size[0] - margin,
                    0.8 * cm,
                    _("Page %(page)s of %(pages)s") % {"page": self._pageNumber, "pages": total},
                )
                super().showPage()
            super().save()

    def paragraph(text: str, style: str) -> Paragraph:
        return Paragraph(escape(text), styles[style])

    def table_flowable(columns: list[Column], rows: list[tuple[list[str], Row | None]]):
        data = [[Paragraph(escape(column.label), styles["head"]) for column in columns]]
        style = [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE3EA")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
        for number, (values, row) in enumerate(rows, start=1):
            total = row is not None and row.total
            line = []
            for value, column in zip(values, columns, strict=True):
                chosen = ("head_right" if total else "cell_right") if column.numeric else ("head" if total else "cell")
                line.append(Paragraph(escape(value), styles[chosen]))
            data.append(line)
            if row is not None and row.flagged:
                style.append(("BACKGROUND", (0, number), (-1, number), colors.HexColor("#FCE8C8")))
        widths = _column_widths(columns, rows, usable, regular, bold)
        return LongTable(data, colWidths=widths, repeatRows=1, style=TableStyle(style), hAlign="LEFT")

    story = [paragraph(report.title, "title")]
    story += [paragraph(text, "body") for text in report.notes]
    for section in report.sections:
        story.append(paragraph(section.title, "h1"))
        story += [paragraph(text, "note") for text in section.notes]
        for table in section.tables:
            story.append(paragraph(table.title, "h2"))
            if not table.rows:
                story.append(paragraph(table.empty_text or _("Nothing to report."), "body"))
            elif _too_long_for_documents(table):
                story.append(paragraph(_listing_left_out(table), "body"))
            else:
                rows = [([display(row.values.get(c.key), c) for c in table.columns], row) for row in table.rows]
                story += [table_flowable(table.columns, rows), Spacer(1, 3)]
            story += [paragraph(text, "note") for text in table.notes]
            story.append(Spacer(1, 4))
    story.append(paragraph(_("Annex: records counted"), "h1"))
    annex = _annex_text(report)
    if annex is not None:
        story.append(paragraph(annex, "body"))
    else:
        story.append(
            paragraph(_("One row per record per figure, with the page of the record in the national database."), "note")
        )
        columns = [Column(str(i), label, INT if i == 3 else "text") for i, label in enumerate(counted_header())]
        story.append(table_flowable(columns, [([str(v) for v in values], None) for values in counted_rows(report)]))

    document = SimpleDocTemplate(
        str(path), pagesize=page_size, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title=report.title, author=report.scope,
    )  # fmt: skip
    _published(path, lambda target: document.build(story, canvasmaker=NumberedCanvas))


WRITERS = {"xlsx": write_xlsx, "docx": write_docx, "pdf": write_pdf}
