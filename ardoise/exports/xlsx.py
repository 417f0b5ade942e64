"""Real spreadsheets, written in constant memory and streamed.

XlsxWriter in `constant_memory` mode flushes each row to a temporary file as soon as the next one
starts, so a sheet of a million rows costs no more memory than a sheet of ten; rows come from the
database through `.iterator(chunk_size=...)`. The workbook is written to an anonymous temporary
file and handed to a `FileResponse`, which streams it in blocks and closes (deletes) it at the end.

Cells are typed: dates are Excel dates with a date format, amounts are numbers (`money_number`,
the one way an amount is written to a cell) with a currency format, text is text. Each sheet
has a bold header row, frozen panes under it and column widths.
"""

import datetime as dt
import functools
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from babel.numbers import get_currency_symbol
from django.http import FileResponse
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ardoise.core.money import DEFAULT_CURRENCY, minor_exponent

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"


class Kind:
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    INTEGER = "integer"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = Kind.TEXT
    width: float = 14


def open_workbook(target: str | IO[bytes]) -> Workbook:
    return xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_numbers": False, "in_memory": False}
    )


def money_format(currency: str) -> str:
    symbol = str(get_currency_symbol(currency, locale="fr_FR")).replace('"', "")
    return f'#,##0.00 "{symbol}";-#,##0.00 "{symbol}"'


class SheetWriter:
    """One sheet: header, frozen panes, widths, then typed rows appended in order."""

    def __init__(
        self, workbook: Workbook, name: str, columns: Sequence[Column], *, currency: str = "EUR"
    ) -> None:
        self.currency = currency
        self.sheet: Worksheet = workbook.add_worksheet(name[:31])
        header = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEF1F4"})
        self.formats = formats = {
            Kind.DATE: workbook.add_format({"num_format": DATE_FORMAT}),
            Kind.MONEY: workbook.add_format({"num_format": money_format(currency)}),
            Kind.INTEGER: workbook.add_format({"num_format": "0"}),
            Kind.TEXT: None,
        }
        self.bold_money = workbook.add_format({"bold": True, "num_format": money_format(currency)})
        self.bold = workbook.add_format({"bold": True})
        for index, column in enumerate(columns):
            self.sheet.set_column(index, index, column.width)
        self.sheet.freeze_panes(1, 0)
        self.sheet.write_row(0, 0, [column.header for column in columns], header)
        self.row = 1
        self._cells: list[tuple[Callable[..., Any], Any, Callable[[Any], Any]]] = [
            self._cell(column.kind, formats[column.kind]) for column in columns
        ]

    def _cell(self, kind: str, cell_format: Any) -> tuple[Callable[..., Any], Any, Any]:
        sheet = self.sheet
        if kind == Kind.DATE:
            return sheet.write_datetime, cell_format, _as_date
        if kind == Kind.MONEY:
            return (
                sheet.write_number,
                cell_format,
                functools.partial(money_number, currency=self.currency),
            )
        if kind == Kind.INTEGER:
            return sheet.write_number, cell_format, int
        return sheet.write_string, cell_format, str

    def append(self, values: Sequence[Any]) -> None:
        row = self.row
        for column, (value, (write, cell_format, convert)) in enumerate(
            zip(values, self._cells, strict=True)
        ):
            if value is None or value == "":
                continue
            write(row, column, convert(value), cell_format)
        self.row = row + 1

    def extend(self, rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        for values in rows:
            self.append(values)
            count += 1
        return count

    def total_row(self, label: str, values: dict[int, int]) -> None:
        """A bold closing row: `label` in the first column, amounts (minor units) by column."""
        self.sheet.write_string(self.row, 0, label, self.bold)
        for column, minor in values.items():
            self.sheet.write_number(
                self.row, column, money_number(minor, self.currency), self.bold_money
            )
        self.row += 1


def _as_date(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def money_number(minor: int, currency: str = DEFAULT_CURRENCY) -> float:
    """An amount as an XLSX cell's number: the one way the exports write money.

    The one place money becomes a binary number: an XLSX cell holds an IEEE double. The value
    written is the exact minor units divided by 100 (for EUR), shown with two decimals by the
    cell format.
    """
    return minor / _minor_per_major(currency)


@functools.cache
def _minor_per_major(currency: str) -> int:
    return int(10 ** minor_exponent(currency))


def xlsx_response(write: Callable[[Workbook], object], filename: str) -> FileResponse:
    """Write the workbook to an anonymous temporary file and stream it as a download."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    workbook = open_workbook(handle)
    write(workbook)
    workbook.close()
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
