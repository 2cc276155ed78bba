"""The académie's list of schools as a CSV file: what an administrator loads to create or
update the académie's schools at once.

The file: UTF-8 (with or without BOM) or Windows-1252 (a spreadsheet's "CSV" export),
``;`` or ``,`` between columns, one header row naming the columns (any order, any case;
``uai``, ``nom`` and ``nature`` are required, the others may be left out):

========== ================================================================
column     content
========== ================================================================
uai        7 digits and the check letter, e.g. 0750654G
nom        the school's name
nature     collège, LGT (lycée), LP (lycée professionnel) or EREA
secteur    public (default) or privé (sous contrat)
adresse    number and street
code_postal  5 digits
commune    the city
zone       holiday zone: A, B, C or Corse (default: the académie's)
telephone  e.g. 01 23 45 67 89
courriel   the school's e-mail address
========== ================================================================

The reader only reads: values are normalised (natures and sectors to their codes) and each
line becomes a ``SchoolRecord``; checking a value (a UAI's check letter...) is the domain's,
which names the column through ``COLUMN_OF``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator

from exchanges.errors import ExchangeFileError
from exchanges.records import FileHeader, RecordProblem, SchoolRecord

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 10_000
MAX_CELL = 300

# The CSV column of each SchoolRecord field, as the messages name it.
COLUMN_OF = {
    "uai": "uai",
    "name": "nom",
    "kind": "nature",
    "sector": "secteur",
    "address_line": "adresse",
    "postal_code": "code_postal",
    "city": "commune",
    "holiday_zone": "zone",
    "phone": "telephone",
    "email": "courriel",
}
REQUIRED = ("uai", "nom", "nature")

_KINDS = {
    "college": "college",
    "clg": "college",
    "lgt": "lgt",
    "lycee": "lgt",
    "lycee general et technologique": "lgt",
    "lyc": "lgt",
    "lp": "lp",
    "lycee professionnel": "lp",
    "lpo": "lgt",
    "erea": "erea",
}
_SECTORS = {
    "public": "public",
    "pu": "public",
    "prive": "private_under_contract",
    "prive sous contrat": "private_under_contract",
    "pr": "private_under_contract",
}
_ZONES = {"a": "A", "b": "B", "c": "C", "corse": "Corse"}


class SchoolsFileRefused(ExchangeFileError):
    """The file as a whole cannot be read (encoding, header, size): nothing is taken. The
    message is French."""


def _plain(text: str) -> str:
    """Lower case without accents: "Collège" and "COLLEGE" are the same nature."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise SchoolsFileRefused(
            f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo : découpez-le."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 decodes nearly any byte: a spreadsheet's export on Windows.
        try:
            return content.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SchoolsFileRefused(
                "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le en CSV UTF-8."
            ) from exc


def read_schools(content: bytes) -> tuple[list[SchoolRecord], list[RecordProblem]]:
    """The file's lines as records, and what could not be read on a line (the column named);
    raises ``SchoolsFileRefused`` for a file that cannot be read at all."""
    text = decode(content)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        raise SchoolsFileRefused("Le fichier est vide.") from None
    except csv.Error as exc:
        raise SchoolsFileRefused(f"Ligne 1 illisible : {exc}.") from exc
    names = [_plain(name).replace(" ", "_") for name in header]
    missing = [column for column in REQUIRED if column not in names]
    if missing:
        raise SchoolsFileRefused(
            "La ligne d'en-tête doit nommer les colonnes "
            + ", ".join(REQUIRED)
            + " (manquantes : "
            + ", ".join(missing)
            + ")."
        )
    known = set(COLUMN_OF.values())
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise SchoolsFileRefused(
            "Colonnes inconnues : "
            + ", ".join(unknown)
            + ". Colonnes admises : "
            + ", ".join(COLUMN_OF.values())
            + "."
        )
    records: list[SchoolRecord] = []
    problems: list[RecordProblem] = []
    try:
        for row in rows:
            line = rows.line_num
            if line > MAX_LINES + 1:
                raise SchoolsFileRefused(
                    f"Le fichier compte plus de {MAX_LINES} établissements : découpez-le."
                )
            if not any(cell.strip() for cell in row):
                continue
            cells = {name: row[i].strip() for i, name in enumerate(names) if i < len(row)}
            if len(row) > len(names):
                problems.append(
                    RecordProblem(
                        "ligne",
                        cells.get("uai") or None,
                        None,
                        f"{len(row)} colonnes au lieu de {len(names)} : vérifiez le séparateur.",
                        line,
                    )
                )
                continue
            too_long = [name for name, value in cells.items() if len(value) > MAX_CELL]
            if too_long:
                problems.extend(
                    RecordProblem(
                        "ligne",
                        cells.get("uai") or None,
                        name,
                        f"La colonne {name} dépasse {MAX_CELL} caractères.",
                        line,
                    )
                    for name in too_long
                )
                continue
            records.append(_record(cells, line))
    except csv.Error as exc:
        raise SchoolsFileRefused(f"Ligne {rows.line_num} illisible : {exc}.") from exc
    return records, problems


def _record(cells: dict[str, str], line: int) -> SchoolRecord:
    def value(column: str) -> str:
        return cells.get(column, "")

    kind, sector, zone = value("nature"), value("secteur"), value("zone")
    return SchoolRecord(
        uai=value("uai").upper(),
        name=value("nom"),
        # An unknown value is kept as written: the domain refuses it, naming the column.
        kind=_KINDS.get(_plain(kind), kind),
        sector=_SECTORS.get(_plain(sector), sector),
        address_line=value("adresse"),
        postal_code=value("code_postal"),
        city=value("commune"),
        holiday_zone=_ZONES.get(_plain(zone), zone) if zone else None,
        phone=value("telephone") or None,
        email=value("courriel") or None,
        line=line,
    )


class SchoolsReading:
    """The file read as the exchanges read every file: a header (a CSV has no PARAMETRES:
    no school, no year), then its records and the lines it could not read, in line order."""

    def __init__(self, content: bytes, file_name: str) -> None:
        records, problems = read_schools(content)
        self.header = FileHeader("SCHOOLS_CSV", None, None, None, None)
        self._items: list[SchoolRecord | RecordProblem] = sorted(
            [*records, *problems], key=lambda item: item.line
        )

    def __iter__(self) -> Iterator[SchoolRecord | RecordProblem]:
        return iter(self._items)

    def close(self) -> None:
        self._items = []
