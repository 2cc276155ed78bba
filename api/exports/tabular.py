"""CSV and XLSX writers of an export table.

CSV is what French Excel opens by double-click: UTF-8 with a byte order
mark, ``;`` between fields, dates as DD/MM/YYYY. XLSX carries real dates
(formatted DD/MM/YYYY), a bold frozen header row and fitted column widths.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from api.exports.columns import CellValue
from api.exports.rows import ExportTable

DATE_FORMAT = "%d/%m/%Y"
EXCEL_DATE_FORMAT = "DD/MM/YYYY"
# A cell starting with one of these is a formula to a spreadsheet: an
# apostrophe keeps it text (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 6, 60


def _csv_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[CellValue]]) -> bytes:
    """A CSV file of any table, in the dialect described above."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([_csv_text(value) for value in values])
    return buffer.getvalue().encode("utf-8-sig")


def write_csv(table: ExportTable) -> bytes:
    return csv_bytes(table.headers, (row.values for row in table.rows))


def sheet_title(table: ExportTable) -> str:
    """Excel allows 31 characters and none of ``[]:*?/\\``: "Division 6A 2026-2027"."""
    title = SHEET_TITLE_FORBIDDEN.sub("-", f"{table.label} {table.year_label}")
    if len(title) > 31:
        title = SHEET_TITLE_FORBIDDEN.sub("-", table.label)[:31]
    return title.strip() or "Élèves"


def _display_length(value: CellValue) -> int:
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    return len(value)


def write_xlsx(table: ExportTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(table)
    workbook.properties.title = table.title
    workbook.properties.creator = "SCONET"

    bold = Font(bold=True)
    widths = [len(header) for header in table.headers]
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = bold
    for row in table.rows:
        sheet.append(list(row.values))
        for index, value in enumerate(row.values):
            widths[index] = max(widths[index], _display_length(value))
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(
            MAX_WIDTH, max(MIN_WIDTH, widths[index - 1] + 2)
        )
        cells = sheet.iter_rows(min_row=2, min_col=index, max_col=index)
        for (cell,) in cells:
            if column.is_date:
                cell.number_format = EXCEL_DATE_FORMAT
            elif cell.data_type == "f":
                # openpyxl takes any text starting with "=" for a formula: keep it text.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
