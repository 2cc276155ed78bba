"""Reading exchange files safely and in bounded memory: the base every format reader uses.

A file comes as bytes or a binary file with its name: ``.xml``, or ``.zip`` holding one XML
file (SIECLE serves its exports zipped). It is parsed as a stream (``lxml``'s pull parser):
each record element is handed to its format's builder when it ends, then dropped, so a
10,000-student file takes the memory of one student. Nothing is ever fetched or expanded: a
DOCTYPE or entity declaration is refused before the parser sees it (XXE, "billion laughs"),
and the parser itself loads no DTD, resolves no entity and reaches no network.

The encoding is the XML declaration's (ISO-8859-15 as SIECLE writes, UTF-8 otherwise).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Generic, TypeVar

from lxml import etree

from exchanges.errors import ExchangeFileError
from exchanges.records import FileHeader, RecordProblem

# An uncompressed exchange file above this is not a school's: 10,000 students with their
# addresses take about 30 MB.
MAX_XML_BYTES = 256 * 1024 * 1024
# SIECLE's archives hold one file; a handful of members leaves room for a stray README.
MAX_ZIP_MEMBERS = 8
CHUNK_BYTES = 64 * 1024
# Comments and processing instructions before the root element, beyond which a file is not
# an exchange file.
MAX_PROLOG_BYTES = 64 * 1024

Source = bytes | IO[bytes]
T = TypeVar("T")

# The French name of each format, for refusals that say what a file is and what was expected.
FORMAT_NAMES = {
    "BEE_ELEVES": "export des élèves de SIECLE (BEE_ELEVES)",
    "BEE_RESPONSABLES": "export des responsables de SIECLE (BEE_RESPONSABLES)",
    "BEE_NOMENCLATURES": "export des nomenclatures de SIECLE (BEE_NOMENCLATURES)",
    "STS_EDT": "export des structures de STS-WEB (STS_EDT)",
    "IMPORT_ELEVES": "fichier d'import privé (IMPORT_ELEVES)",
    "BEE_DEMANDES_INE": "fichier de demandes d'INE (BEE_DEMANDES_INE)",
    "BEA_IMMATRICULATIONS": "retour des immatriculations de la BEA (BEA_IMMATRICULATIONS)",
    "BEE_ACCUSES_INE": "accusé de réception des immatriculations (BEE_ACCUSES_INE)",
}


def _format_name(root: str) -> str:
    return FORMAT_NAMES.get(root, f"fichier {root}")


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} Mo"


class XmlSource:
    """The XML stream of an uploaded file, ``.xml`` or ``.zip`` holding one ``.xml``.

    ``stream`` is binary; the caller closes the ``XmlSource`` (it closes the archive, never a
    file the caller passed in).
    """

    def __init__(self, source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES) -> None:
        self.max_bytes = max_bytes
        self._stack = ExitStack()
        name = file_name.strip().lower()
        raw: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        # The XML's size when known (for a progress bar): the bytes given, a zip's member.
        self.size: int | None = len(source) if isinstance(source, bytes | bytearray) else None
        if name.endswith(".xml"):
            self.stream = raw
        elif name.endswith(".zip"):
            self.stream = self._member(raw)
        else:
            raise ExchangeFileError(
                f"« {file_name} » n'est ni un fichier .xml ni une archive .zip : "
                "déposez le fichier tel que SIECLE ou STS-WEB le fournit."
            )

    def _member(self, raw: IO[bytes]) -> IO[bytes]:
        if not raw.seekable():
            data = raw.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise ExchangeFileError(
                    f"L'archive dépasse la taille maximale de {_megabytes(self.max_bytes)}."
                )
            raw = io.BytesIO(data)
        try:
            archive = self._stack.enter_context(zipfile.ZipFile(raw))
        except (zipfile.BadZipFile, OSError, ValueError):
            raise ExchangeFileError("Le fichier n'est pas une archive zip lisible.") from None
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ExchangeFileError(
                f"L'archive contient {len(members)} fichiers ; elle doit contenir un seul "
                "fichier XML."
            )
        for member in members:
            if "/" in member.filename or "\\" in member.filename or ".." in member.filename:
                raise ExchangeFileError(
                    f"L'archive contient un chemin (« {member.filename} ») : elle doit contenir "
                    "un seul fichier XML, sans dossier."
                )
        xml_members = [m for m in members if m.filename.lower().endswith(".xml")]
        if len(xml_members) != 1:
            raise ExchangeFileError(
                "L'archive doit contenir exactement un fichier XML ; elle en contient "
                f"{len(xml_members)}."
            )
        member = xml_members[0]
        if member.flag_bits & 0x1:
            raise ExchangeFileError("L'archive est chiffrée : déposez-la sans mot de passe.")
        # The declared size is checked here and the bytes actually read are counted by the
        # parser: a zip bomb is stopped either way.
        if member.file_size > self.max_bytes:
            raise ExchangeFileError(
                f"Le fichier « {member.filename} » de l'archive dépasse la taille maximale de "
                f"{_megabytes(self.max_bytes)} une fois décompressé."
            )
        self.size = member.file_size
        try:
            return self._stack.enter_context(archive.open(member))
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError):
            raise ExchangeFileError(
                "L'archive zip est abîmée ou d'un format non pris en charge."
            ) from None

    def close(self) -> None:
        self._stack.close()


class FieldProblem(Exception):
    """A field of a record that cannot be read: the record is reported, the file goes on."""

    def __init__(self, record_id: str | None, field: str, message: str) -> None:
        super().__init__(message)
        self.record_id = record_id
        self.field = field
        self.message = message


_TRUE = {"1", "true", "o", "oui"}
_FALSE = {"0", "false", "n", "non"}


class Fields:
    """The values of one element of a record, read as the exchange formats write them: text
    stripped, empty as ``None``, dates DD/MM/YYYY, booleans 0/1/true/false.

    ``prefix`` names nested elements in problems (``SCOLARITE_AN_DERNIER/CODE_MEF``).
    """

    def __init__(self, element: etree._Element, record_id: str | None, prefix: str = "") -> None:
        self.element = element
        self.record_id = record_id
        self.prefix = prefix
        self._children: dict[str, etree._Element] | None = None

    def problem(self, name: str, message: str) -> FieldProblem:
        return FieldProblem(self.record_id, self.prefix + name, message)

    def _child(self, name: str) -> etree._Element | None:
        # One pass over the children for all the fields of a record; the first of a name wins.
        if self._children is None:
            self._children = {}
            for child in self.element:
                if isinstance(child.tag, str):
                    self._children.setdefault(child.tag, child)
        return self._children.get(name)

    def text(self, name: str) -> str | None:
        child = self._child(name)
        if child is None:
            return None
        value = child.text if len(child) == 0 else "".join(child.itertext())
        if value is None:
            return None
        return value.strip() or None

    def attribute(self, name: str) -> str | None:
        value = (self.element.get(name) or "").strip()
        return value or None

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise self.problem(name, f"{self.prefix}{name} est absent ou vide.")
        return value

    def required_attribute(self, name: str) -> str:
        value = self.attribute(name)
        if value is None:
            raise self.problem(name, f"L'attribut {name} est absent ou vide.")
        return value

    def french_date(self, name: str) -> date | None:
        """A DD/MM/YYYY date (SIECLE's)."""
        value = self.text(name)
        if value is None:
            return None
        parsed = parse_french_date(value)
        if parsed is None:
            raise self.problem(
                name, f"{self.prefix}{name} : date illisible « {value} » (attendu JJ/MM/AAAA)."
            )
        return parsed

    def iso_date(self, name: str) -> date | None:
        """A YYYY-MM-DD date (``xs:date``, the import privé's), a time zone allowed."""
        value = self.text(name)
        if value is None:
            return None
        parsed = parse_iso_date(value)
        if parsed is None:
            raise self.problem(
                name, f"{self.prefix}{name} : date illisible « {value} » (attendu AAAA-MM-JJ)."
            )
        return parsed

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise self.problem(
            name,
            f"{self.prefix}{name} : valeur « {value} » illisible (attendu 0, 1, true ou false).",
        )

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 9:
            raise self.problem(
                name, f"{self.prefix}{name} : « {value} » n'est pas un nombre entier."
            )
        return int(value)

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise self.problem(name, f"{self.prefix}{name} est absent ou vide.")
        return value

    def decimal(self, name: str) -> Decimal | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or len(value) > 12:
            raise self.problem(name, f"{self.prefix}{name} : « {value} » n'est pas un nombre.")
        return number

    def sex(self, name: str) -> str | None:
        """CODE_SEXE: 1 is "M", 2 is "F"; missing stays ``None`` for the domain to refuse."""
        value = self.text(name)
        if value is None:
            return None
        if value == "1":
            return "M"
        if value == "2":
            return "F"
        raise self.problem(
            name, f"{self.prefix}{name} : « {value} » n'est ni 1 (masculin) ni 2 (féminin)."
        )

    def child(self, name: str) -> Fields | None:
        element = self._child(name)
        if element is None:
            return None
        return Fields(element, self.record_id, f"{self.prefix}{name}/")

    def children(self, path: str) -> list[Fields]:
        """The elements at ``path`` ("OPTIONS_ELEVE", "SERVICES/SERVICE"), in file order."""
        return [
            Fields(element, self.record_id, f"{self.prefix}{path}/")
            for element in self.element.iterfind(path)
        ]


def parse_french_date(value: str) -> date | None:
    parts = value.split("/")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    day, month, year = parts
    if len(day) != 2 or len(month) != 2 or len(year) != 4:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_iso_date(value: str) -> date | None:
    head, tail = value[:10], value[10:]
    if tail and tail != "Z" and not (len(tail) == 6 and tail[0] in "+-" and tail[3] == ":"):
        return None
    parts = head.split("-")
    if len(parts) != 3 or [len(p) for p in parts] != [4, 2, 2]:
        return None
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


# What a format reader gives for each of its record elements: the element's records (a list,
# so that a record element that fails gives nothing at all) and the element's id for problems.
Builder = Callable[[etree._Element], Sequence[T]]


@dataclass(frozen=True)
class RecordElement(Generic[T]):
    build: Builder[T]
    # The id a problem names when the builder could not even read one.
    id_of: Callable[[etree._Element], str | None]


def by_attribute(name: str) -> Callable[[etree._Element], str | None]:
    """A record element's id in its attribute ``name`` (ELEVE_ID="...")."""

    def id_of(element: etree._Element) -> str | None:
        return Fields(element, None).attribute(name)

    return id_of


def by_child(name: str) -> Callable[[etree._Element], str | None]:
    """A record element's id in its child ``name`` (<ID_PRV_ELE>...)."""

    def id_of(element: etree._Element) -> str | None:
        return Fields(element, None).text(name)

    return id_of


def _check_prolog(head: bytes) -> int | None:
    """Where the root element starts in ``head``, or ``None`` if ``head`` is too short to say.

    Refuses a DOCTYPE (and so any entity declaration) and encodings other than ASCII-based
    ones, before the parser sees a byte.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        raise ExchangeFileError(
            "Le fichier est encodé en UTF-16 ou UTF-32 : les fichiers d'échange sont en "
            "ISO-8859-15 ou en UTF-8."
        )
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while pos < len(head) and head[pos : pos + 1] in (b" ", b"\t", b"\r", b"\n"):
            pos += 1
        rest = head[pos:]
        if len(rest) < 9:
            return None
        if rest.startswith(b"<?"):
            end = head.find(b"?>", pos + 2)
            if end < 0:
                return None
            pos = end + 2
        elif rest.startswith(b"<!--"):
            end = head.find(b"-->", pos + 4)
            if end < 0:
                return None
            pos = end + 3
        elif rest.startswith(b"<!"):
            line = head.count(b"\n", 0, pos) + 1
            raise ExchangeFileError(
                f"Le fichier contient une déclaration DOCTYPE (ligne {line}) : elle est refusée, "
                "car elle peut déclarer des entités (lecture de fichiers du serveur, expansion "
                "sans fin). Les fichiers d'échange n'en ont pas.",
                line,
            )
        else:
            # The root element, or something that is not XML: the parser says which.
            return pos


class ExchangeReading(Generic[T]):
    """One exchange file being read: ``header`` (its PARAMETRES), then, iterating, its records
    and record problems in file order. Use it as a context manager, or iterate it to the end.

    ``ExchangeFileError`` is raised (from the constructor, ``header`` or the iteration) when
    the file is refused whole.
    """

    def __init__(
        self,
        source: Source,
        file_name: str,
        root: str,
        records: Mapping[tuple[str, ...], RecordElement[T]],
        *,
        max_bytes: int = MAX_XML_BYTES,
    ) -> None:
        self.root = root
        self._records = records
        self._source = XmlSource(source, file_name, max_bytes=max_bytes)
        self._max_bytes = max_bytes
        self._header: FileHeader | None = None
        self._items = self._walk()
        # How far the reading went, of ``total_bytes`` (None when unknown): the XML's bytes.
        self.bytes_read = 0
        self.total_bytes = self._source.size

    def __enter__(self) -> ExchangeReading[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._items.close()
        self._source.close()

    @property
    def header(self) -> FileHeader:
        if self._header is None:
            # The walk stops (yields None) as soon as PARAMETRES is read, the first thing in
            # every format.
            next(self._items, None)
        if self._header is None:
            raise ExchangeFileError(
                f"Le fichier n'a pas de PARAMETRES : ce n'est pas un {_format_name(self.root)}."
            )
        return self._header

    def __iter__(self) -> Iterator[T | RecordProblem]:
        self.header  # noqa: B018 - a file without PARAMETRES is refused before any record
        try:
            for item in self._items:
                if item is not None:
                    yield item
        finally:
            self._source.close()

    def _events(self) -> Iterator[tuple[str, etree._Element]]:
        parser = etree.XMLPullParser(
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        stream = self._source.stream
        read = 0
        head = b""
        prolog_checked = False
        try:
            while True:
                try:
                    chunk = stream.read(CHUNK_BYTES)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                    raise ExchangeFileError(
                        "L'archive zip est abîmée : le fichier est illisible."
                    ) from None
                read += len(chunk)
                self.bytes_read = read
                if read > self._max_bytes:
                    raise ExchangeFileError(
                        f"Le fichier dépasse la taille maximale de {_megabytes(self._max_bytes)}."
                    )
                if not prolog_checked:
                    head += chunk
                    if _check_prolog(head) is None and chunk:
                        if len(head) < MAX_PROLOG_BYTES:
                            continue
                        raise ExchangeFileError(
                            "Le début du fichier n'est pas celui d'un fichier d'échange XML."
                        )
                    prolog_checked = True
                    chunk, head = head, b""
                if not chunk:
                    if read == 0:
                        raise ExchangeFileError("Le fichier est vide.")
                    parser.close()
                    break
                parser.feed(chunk)
                yield from parser.read_events()
            yield from parser.read_events()
        except etree.XMLSyntaxError as error:
            line = error.lineno or None
            where = f" à la ligne {line}" if line else ""
            raise ExchangeFileError(
                f"Le fichier n'est pas un XML bien formé{where} : {_syntax_problem(error)}.", line
            ) from None

    def _walk(self) -> Generator[T | RecordProblem | None, None, None]:
        # Outside records, the path from the root (root excluded); inside one, only the
        # record element matters: its children stay until it ends.
        path: list[str] = []
        record: etree._Element | None = None
        kind: RecordElement[T] | None = None
        started = False
        for event, element in self._events():
            if record is not None:
                if event == "end" and element is record:
                    record = None
                    path.pop()
                    if kind is None:
                        self._header = self._read_header(element)
                        _drop(element)
                        yield None
                        continue
                    yield from self._build(kind, element)
                    _drop(element)
                continue
            if event == "start":
                tag = element.tag if isinstance(element.tag, str) else ""
                if not started:
                    self._check_root(element, tag)
                    started = True
                    continue
                if not path and self._header is None and tag != "PARAMETRES":
                    raise ExchangeFileError(
                        f"Le fichier doit commencer par PARAMETRES ; il commence par {tag} "
                        f"(ligne {element.sourceline}).",
                        element.sourceline,
                    )
                path.append(tag)
                key = tuple(path)
                if key == ("PARAMETRES",) and self._header is None:
                    record, kind = element, None
                elif key in self._records:
                    record, kind = element, self._records[key]
            elif path:
                path.pop()
                _drop(element)

    def _check_root(self, element: etree._Element, tag: str) -> None:
        docinfo = element.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise ExchangeFileError(
                "Le fichier contient une déclaration DOCTYPE : elle est refusée.", 1
            )
        if tag != self.root:
            raise ExchangeFileError(
                f"Ce fichier est un {_format_name(tag)}, pas un {_format_name(self.root)} : "
                "vérifiez le fichier déposé.",
                element.sourceline,
            )

    def _read_header(self, element: etree._Element) -> FileHeader:
        fields = Fields(element, None, "PARAMETRES/")
        root = element.getparent()
        version = None
        if root is not None:
            version = (root.get("VERSION") or "").strip() or None
        # SIECLE writes <UAJ>0750680G</UAJ>, STS-WEB <UAJ CODE="0750680G"> and
        # <ANNEE_SCOLAIRE ANNEE="2025"/>.
        uaj = element.find("UAJ")
        uai = fields.text("UAJ") if uaj is None or uaj.get("CODE") is None else uaj.get("CODE")
        year_element = element.find("ANNEE_SCOLAIRE")
        year_text = fields.text("ANNEE_SCOLAIRE")
        if year_element is not None and year_element.get("ANNEE"):
            year_text = year_element.get("ANNEE")
        school_year = None
        if year_text:
            year_text = year_text.strip()
            if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
                raise ExchangeFileError(
                    f"PARAMETRES/ANNEE_SCOLAIRE « {year_text} » n'est pas une année "
                    f"(ligne {element.sourceline}).",
                    element.sourceline,
                )
            school_year = int(year_text)
        exported_text = fields.text("DATE_EXPORT") or fields.text("DATE_IMPORT")
        exported_on = None
        if exported_text:
            exported_on = parse_french_date(exported_text) or parse_iso_date(exported_text)
            if exported_on is None:
                raise ExchangeFileError(
                    f"PARAMETRES : date d'export illisible « {exported_text} » "
                    f"(ligne {element.sourceline}).",
                    element.sourceline,
                )
        return FileHeader(
            root=self.root,
            version=version,
            uai=uai.strip() if uai else None,
            school_year=school_year,
            exported_on=exported_on,
        )

    def _build(
        self, kind: RecordElement[T], element: etree._Element
    ) -> Sequence[T | RecordProblem]:
        try:
            return kind.build(element)
        except FieldProblem as problem:
            return [
                RecordProblem(
                    element=element.tag if isinstance(element.tag, str) else "",
                    record_id=problem.record_id if problem.record_id else kind.id_of(element),
                    field=problem.field,
                    message=problem.message,
                    line=element.sourceline or 0,
                )
            ]


_TAG_MISMATCH = re.compile(r"mismatch: (\S+) line (\d+) and (\S+?),")
_SYNTAX_PROBLEMS = {
    etree.ErrorTypes.ERR_DOCUMENT_EMPTY: "il est vide ou ne contient pas de XML",
    etree.ErrorTypes.ERR_INVALID_ENCODING: (
        "un caractère n'est pas dans l'encodage que déclare sa première ligne "
        "(ISO-8859-15 ou UTF-8)"
    ),
    etree.ErrorTypes.ERR_INVALID_CHAR: "un caractère interdit en XML",
    etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING: (
        "l'encodage déclaré n'est pas pris en charge (ISO-8859-15 ou UTF-8)"
    ),
    etree.ErrorTypes.ERR_TAG_NOT_FINISHED: "il s'arrête avant la fin (fichier tronqué ?)",
    etree.ErrorTypes.ERR_DOCUMENT_END: "du contenu suit la fin du document",
    etree.ErrorTypes.ERR_ATTRIBUTE_REDEFINED: "un attribut est répété",
}


def _syntax_problem(error: etree.XMLSyntaxError) -> str:
    """The parser's complaint in French (its own text is English and technical)."""
    if error.code == etree.ErrorTypes.ERR_TAG_NAME_MISMATCH:
        mismatch = _TAG_MISMATCH.search(error.msg or "")
        if mismatch:
            opened, opened_line, closed = mismatch.groups()
            return (
                f"la balise <{opened}> ouverte à la ligne {opened_line} est fermée par </{closed}>"
            )
        return "une balise est fermée par une autre"
    return _SYNTAX_PROBLEMS.get(error.code, "erreur de syntaxe XML")


def _drop(element: etree._Element) -> None:
    """Frees an element that has been read, and the siblings read before it.

    The element itself stays attached (empty) until its next sibling's turn: the parser may
    still hold it while it ends.
    """
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
