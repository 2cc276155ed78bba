"""The reading base: files refused whole (malformed with their line, DOCTYPE and entities,
the wrong kind of file, archives that are not one plain XML file, too big), zips read like
their XML, and a 10,000-student file read in bounded memory."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from exchanges.errors import ExchangeFileError
from exchanges.records import StudentRecord
from exchanges.siecle_reading import read_nomenclatures, read_students

FILES = Path(__file__).parent / "files"
STUDENTS = FILES / "eleves_avec_adresses.xml"

HEADER = (
    '<BEE_ELEVES VERSION="3.0">\n<PARAMETRES><UAJ>0750001A</UAJ>'
    "<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>\n"
)


def _refusal(source: bytes, file_name: str = "eleves.xml", **options: int) -> ExchangeFileError:
    with (
        pytest.raises(ExchangeFileError) as refused,
        read_students(source, file_name, **options) as reading,
    ):
        list(reading)
    return refused.value


def test_a_malformed_file_is_refused_with_its_line() -> None:
    # The defect of a real SIECLE sample: <STRICTURES_ELEVE> closed by </STRUCTURES_ELEVE>.
    error = _refusal((FILES / "eleves_mal_forme.xml").read_bytes())
    assert error.line == 98
    assert error.message == (
        "Le fichier n'est pas un XML bien formé à la ligne 98 : la balise <STRICTURES_ELEVE> "
        "ouverte à la ligne 93 est fermée par </STRUCTURES_ELEVE>."
    )


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        (b"Nom;Pr\xe9nom\nMARTIN;In\xe8s\n", 1, "il est vide ou ne contient pas de XML"),
        (b"<BEE_ELEVES>\n<PARAMETRES>", 2, "il s'arrête avant la fin"),
        (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<BEE_ELEVES>\n<P>Ch\xe9</P>',
            3,
            "un caractère n'est pas dans l'encodage que déclare sa première ligne",
        ),
    ],
)
def test_what_is_not_well_formed_xml_is_refused_in_french(
    content: bytes, line: int, says: str
) -> None:
    error = _refusal(content)
    assert error.line == line
    assert error.message.startswith(f"Le fichier n'est pas un XML bien formé à la ligne {line} : ")
    assert says in error.message


def test_an_empty_file_is_refused() -> None:
    error = _refusal(b"")
    assert (error.message, error.line) == ("Le fichier est vide.", None)


XXE = (
    '<?xml version="1.0" encoding="ISO-8859-15"?>\n'
    '<!DOCTYPE BEE_ELEVES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + HEADER
    + "<DONNEES><ELEVES><ELEVE ELEVE_ID='1'><NOM_DE_FAMILLE>&xxe;</NOM_DE_FAMILLE>"
    "<PRENOM>A</PRENOM></ELEVE></ELEVES></DONNEES></BEE_ELEVES>\n"
).encode()

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE BEE_ELEVES [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n"
    + HEADER.replace('VERSION="3.0"', 'VERSION="&lol9;"')
    + "</BEE_ELEVES>\n"
).encode()


@pytest.mark.parametrize("content", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_a_doctype_is_refused_before_anything_is_expanded(content: bytes) -> None:
    started = time.perf_counter()
    error = _refusal(content)
    assert time.perf_counter() - started < 1
    assert error.line == 2
    assert error.message.startswith("Le fichier contient une déclaration DOCTYPE (ligne 2)")
    assert "root:" not in error.message


def test_a_doctype_behind_comments_and_instructions_is_refused_too() -> None:
    content = (
        b'<?xml version="1.0"?>\n<!-- SIECLE -->\n<?style x?>\n<!-- <BEE_ELEVES> -->\n'
        b'<!DOCTYPE BEE_ELEVES SYSTEM "http://example.org/x.dtd">\n' + HEADER.encode()
    )
    assert _refusal(content).line == 5


def test_a_file_of_another_kind_is_refused_naming_both_kinds() -> None:
    error = _refusal((FILES / "responsables_avec_adresses.xml").read_bytes())
    assert error.message == (
        "Ce fichier est un export des responsables de SIECLE (BEE_RESPONSABLES), pas un export "
        "des élèves de SIECLE (BEE_ELEVES) : vérifiez le fichier déposé."
    )
    with pytest.raises(ExchangeFileError, match="pas un export des nomenclatures"):
        _ = read_nomenclatures(STUDENTS.read_bytes(), "eleves.xml").header


def test_a_file_without_parameters_first_is_refused() -> None:
    error = _refusal(b'<BEE_ELEVES VERSION="3.0">\n<DONNEES/></BEE_ELEVES>')
    assert (error.line, error.message) == (
        2,
        "Le fichier doit commencer par PARAMETRES ; il commence par DONNEES (ligne 2).",
    )


def test_utf_16_is_refused() -> None:
    content = ('<?xml version="1.0" encoding="UTF-16"?>\n' + HEADER + "</BEE_ELEVES>").encode(
        "utf-16"
    )
    assert "UTF-16" in _refusal(content).message


def test_a_file_that_is_neither_xml_nor_zip_is_refused() -> None:
    assert _refusal(STUDENTS.read_bytes(), "eleves.csv").message == (
        "« eleves.csv » n'est ni un fichier .xml ni une archive .zip : déposez le fichier tel "
        "que SIECLE ou STS-WEB le fournit."
    )


def test_a_file_too_big_is_refused() -> None:
    assert _refusal(STUDENTS.read_bytes(), max_bytes=2048).message == (
        "Le fichier dépasse la taille maximale de 0 Mo."
    )


def _zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_holding_one_xml_reads_like_the_xml_from_bytes_or_a_file() -> None:
    expected = list(read_students(STUDENTS.read_bytes(), "eleves.xml"))
    archive = _zip(("ElevesAvecAdresses.xml", STUDENTS.read_bytes()), ("LISEZMOI.txt", b"."))

    assert list(read_students(archive, "ElevesAvecAdresses.ZIP")) == expected
    with read_students(io.BytesIO(archive), "ElevesAvecAdresses.zip") as reading:
        assert reading.header.uai == "0750001A"
        assert list(reading) == expected
    with STUDENTS.open("rb") as opened:
        assert list(read_students(opened, "eleves.xml")) == expected


@pytest.mark.parametrize(
    ("archive", "says"),
    [
        (b"PK\x03\x04 not really", "Le fichier n'est pas une archive zip lisible."),
        (
            _zip(("a.xml", b"<A/>"), ("b.xml", b"<A/>")),
            "exactement un fichier XML ; elle en contient 2",
        ),
        (_zip(("LISEZMOI.txt", b".")), "exactement un fichier XML ; elle en contient 0"),
        (_zip(("../eleves.xml", b"<A/>")), "L'archive contient un chemin (« ../eleves.xml »)"),
        (_zip(("export/eleves.xml", b"<A/>")), "L'archive contient un chemin"),
        (
            _zip(*[(f"f{n}.txt", b".") for n in range(9)], ("e.xml", b"<A/>")),
            "contient 10 fichiers",
        ),
    ],
    ids=["not-a-zip", "two-xml", "no-xml", "parent-path", "folder", "many-members"],
)
def test_an_archive_that_is_not_one_plain_xml_file_is_refused(archive: bytes, says: str) -> None:
    assert says in _refusal(archive, "eleves.zip").message


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    # 50 MB of blanks inflate from about 50 kB; the bound here is 1 MB.
    bomb = _zip(("eleves.xml", HEADER.encode() + b" " * 50_000_000 + b"</BEE_ELEVES>"))
    assert len(bomb) < 100_000
    started = time.perf_counter()
    error = _refusal(bomb, "eleves.zip", max_bytes=1024 * 1024)
    assert time.perf_counter() - started < 1
    assert error.message == (
        "Le fichier « eleves.xml » de l'archive dépasse la taille maximale de 1 Mo une fois "
        "décompressé."
    )


def test_an_archive_member_that_lies_about_its_size_is_refused() -> None:
    content = HEADER.encode() + b" " * 3_000_000 + b"</BEE_ELEVES>"
    bomb = bytearray(_zip(("eleves.xml", content)))
    # The sizes in the local header and the central directory say 1 kB.
    true_size = len(content).to_bytes(4, "little")
    assert bomb.count(true_size) == 2
    bomb = bomb.replace(true_size, (1024).to_bytes(4, "little"))
    # The archive gives no more than it declares, and the check of its content fails.
    error = _refusal(bytes(bomb), "eleves.zip", max_bytes=1024 * 1024)
    assert error.message == "L'archive zip est abîmée : le fichier est illisible."


def _write_students(path: Path, count: int) -> None:
    """A BEE_ELEVES of ``count`` students with options, structures and addresses, written as
    a stream (never whole in memory)."""
    with path.open("w", encoding="iso-8859-15") as out:
        out.write('<?xml version="1.0" encoding="ISO-8859-15"?>\n' + HEADER + "<DONNEES><ELEVES>\n")
        for n in range(count):
            out.write(
                f'<ELEVE ELEVE_ID="{100000 + n}" ELENOET="{n}">'
                f"<ID_NATIONAL>{n:09d}AB</ID_NATIONAL><NOM_DE_FAMILLE>LEFÈVRE-ŒUVRARD</NOM_DE_FAMILLE>"
                "<PRENOM>Chloé</PRENOM><PRENOM2>Maëlle</PRENOM2><DATE_NAISS>14/03/2014</DATE_NAISS>"
                "<DOUBLEMENT>0</DOUBLEMENT><CODE_PAYS>100</CODE_PAYS><ACCEPTE_SMS>1</ACCEPTE_SMS>"
                "<CODE_REGIME>2</CODE_REGIME><DATE_ENTREE>01/09/2025</DATE_ENTREE><CODE_SEXE>2</CODE_SEXE>"
                "<CODE_PAYS_NAT>100</CODE_PAYS_NAT><CODE_STATUT>ST</CODE_STATUT>"
                "<CODE_MEF>10010012110</CODE_MEF><CODE_COMMUNE_INSEE_NAISS>75114</CODE_COMMUNE_INSEE_NAISS>"
                f"<ADRESSE_ID>{n}</ADRESSE_ID><SCOLARITE_AN_DERNIER><CODE_MEF>10000000000</CODE_MEF>"
                "<CODE_RNE>0751234X</CODE_RNE><DENOM_PRINC>ECOLE ÉLÉMENTAIRE</DENOM_PRINC>"
                "</SCOLARITE_AN_DERNIER></ELEVE>\n"
            )
        out.write("</ELEVES><STRUCTURES>\n")
        for n in range(count):
            out.write(
                f'<STRUCTURES_ELEVE ELEVE_ID="{100000 + n}"><STRUCTURE><CODE_STRUCTURE>6 '
                f"{n % 12}</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>"
                "</STRUCTURES_ELEVE>\n"
            )
        out.write("</STRUCTURES><ADRESSES>\n")
        for n in range(count):
            out.write(
                f'<ADRESSE ADRESSE_ID="{n}"><LIGNE1_ADRESSE>{n} RUE DU BŒUF COURONNÉ</LIGNE1_ADRESSE>'
                "<CODE_POSTAL>75014</CODE_POSTAL><CODE_PAYS>100</CODE_PAYS>"
                "<CODE_COMMUNE_INSEE>75114</CODE_COMMUNE_INSEE><LIBELLE_POSTAL>PARIS</LIBELLE_POSTAL>"
                "</ADRESSE>\n"
            )
        out.write("</ADRESSES></DONNEES></BEE_ELEVES>\n")


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_ten_thousand_students_are_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "ElevesAvecAdresses.xml"
    _write_students(path, 10_000)
    size = path.stat().st_size
    assert size > 10_000_000

    counts: dict[str, int] = {}
    resident_before = _resident_bytes()
    resident_peak = resident_before
    tracemalloc.start()
    try:
        with path.open("rb") as opened, read_students(opened, path.name) as reading:
            for number, item in enumerate(reading):
                counts[type(item).__name__] = counts.get(type(item).__name__, 0) + 1
                if number % 1000 == 0:
                    resident_peak = max(resident_peak, _resident_bytes())
                    if isinstance(item, StudentRecord):
                        assert item.family_name == "LEFÈVRE-ŒUVRARD"
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts == {
        "StudentRecord": 10_000,
        "StudentStructuresRecord": 10_000,
        "AddressRecord": 10_000,
    }
    # Python's allocations, and the parser's (outside tracemalloc's sight: the process's).
    assert python_peak < size / 3
    assert resident_peak - resident_before < size / 3
