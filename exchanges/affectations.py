"""The académie's assignments (affectations) of new students to a school for next year, as a
CSV file: what the school loads to add its newcomers before the rentrée.

The file: UTF-8 (with or without BOM) or Windows-1252 (a spreadsheet's "CSV" export), ``;``
between columns, one header row naming the columns (any order, any case, accents or not):

================= ============================================================
column            content
================= ============================================================
INE               the student's INE when he has one (optional)
nom               family name
prénom            first name
sexe              M or F
date de naissance JJ/MM/AAAA (or AAAA-MM-JJ)
code MEF          the 11-digit MEF he is assigned to
UAI d'accueil     the school he is assigned to
UAI d'origine     the school he comes from (optional)
================= ============================================================

The reader only reads: each line becomes an ``AssignmentRecord`` of the cells as written;
checking them (a date, a UAI, a MEF the school has) is the domain's, which names the column
through ``COLUMNS``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from exchanges.errors import ExchangeFileError
from exchanges.records import FileHeader, RecordProblem

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5_000
MAX_CELL = 120

# The record's field -> the column as the file and the messages name it.
COLUMNS = {
    "ine": "INE",
    "family_name": "nom",
    "first_name": "prénom",
    "sex": "sexe",
    "birth_date": "date de naissance",
    "mef_code": "code MEF",
    "receiving_uai": "UAI d'accueil",
    "origin_uai": "UAI d'origine",
}
OPTIONAL = ("ine", "origin_uai")


@dataclass(frozen=True)
class AssignmentRecord:
    line: int
    ine: str
    family_name: str
    first_name: str
    sex: str
    birth_date: str
    mef_code: str
    receiving_uai: str
    origin_uai: str


def _key(name: str) -> str:
    """ "UAI d'accueil", "uai_d_accueil" and "Uai D'Accueil" name the same column."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


_FIELD_OF = {_key(column): name for name, column in COLUMNS.items()}


def _decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise ExchangeFileError(
            f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo : découpez-le."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 decodes nearly any byte: a spreadsheet's export on Windows.
        return content.decode("cp1252", errors="strict")


def read_assignments(content: bytes) -> Iterator[AssignmentRecord | RecordProblem]:
    """The file's lines as records, and what could not be read on a line (the column named);
    raises ``ExchangeFileError`` for a file that cannot be read at all."""
    try:
        text = _decode(content)
    except UnicodeDecodeError as exc:
        raise ExchangeFileError(
            "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le en CSV UTF-8."
        ) from exc
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = next(rows)
    except StopIteration:
        raise ExchangeFileError("Le fichier est vide.") from None
    except csv.Error as exc:
        raise ExchangeFileError(f"Ligne 1 illisible : {exc}.", 1) from exc
    fields = [_FIELD_OF.get(_key(name)) for name in header]
    unknown = [name for name, f in zip(header, fields, strict=True) if f is None and name.strip()]
    if unknown:
        raise ExchangeFileError(
            "Colonnes inconnues : "
            + ", ".join(unknown)
            + ". Colonnes admises (séparées par « ; ») : "
            + ", ".join(COLUMNS.values())
            + ".",
            1,
        )
    missing = [COLUMNS[f] for f in COLUMNS if f not in OPTIONAL and f not in fields]
    if missing:
        raise ExchangeFileError(
            "La ligne d'en-tête doit nommer les colonnes manquantes : " + ", ".join(missing) + ".",
            1,
        )
    try:
        for row in rows:
            line = rows.line_num
            if line > MAX_LINES + 1:
                raise ExchangeFileError(
                    f"Le fichier compte plus de {MAX_LINES} affectations : découpez-le.", line
                )
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(fields):
                yield RecordProblem(
                    "affectation",
                    None,
                    None,
                    f"{len(row)} colonnes au lieu de {len(fields)} : vérifiez le séparateur « ; ».",
                    line,
                )
                continue
            cells = {f: row[i].strip() for i, f in enumerate(fields) if f and i < len(row)}
            too_long = [f for f, value in cells.items() if len(value) > MAX_CELL]
            if too_long:
                yield RecordProblem(
                    "affectation",
                    cells.get("ine") or None,
                    COLUMNS[too_long[0]],
                    f"La colonne {COLUMNS[too_long[0]]} dépasse {MAX_CELL} caractères.",
                    line,
                )
                continue
            yield AssignmentRecord(line=line, **{f: cells.get(f, "") for f in COLUMNS})
    except csv.Error as exc:
        raise ExchangeFileError(f"Ligne {rows.line_num} illisible : {exc}.", rows.line_num) from exc


class AssignmentsReading:
    """The file read as the exchanges read every file: a header (a CSV has no PARAMETRES:
    each line names its school), then its records and unreadable lines, in line order."""

    def __init__(self, content: bytes, file_name: str) -> None:
        self.header = FileHeader("AFFECTATIONS", None, None, None, None)
        # Read whole here, so that a file refused as a whole is refused before any plan.
        self._items: list[AssignmentRecord | RecordProblem] = list(read_assignments(content))

    def __iter__(self) -> Iterator[AssignmentRecord | RecordProblem]:
        return iter(self._items)

    def close(self) -> None:
        self._items = []
