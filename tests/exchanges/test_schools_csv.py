"""The académie's list of schools as CSV: UTF-8 or Windows-1252, ``;`` or ``,``, a header
naming the columns; each line a SchoolRecord, the file refused whole when unreadable."""

from __future__ import annotations

import pytest

from exchanges.schools_csv import SchoolsFileRefused, read_schools

HEADER = "uai;nom;nature;secteur;adresse;code_postal;commune;zone;telephone;courriel"


def test_a_spreadsheet_export_in_windows_1252_with_semicolons():
    text = "\r\n".join(
        [
            HEADER.upper(),
            "0750654g;Lycée Condorcet;Lycée;Privé sous contrat;8 rue du Havre;75009;Paris;c;"
            "01 45 26 99 11;ce@example.fr",
            ";;;;;;;;;",
            "0930001X;Collège Jean Moulin;COLLÈGE;;;;;;;",
        ]
    )
    records, problems = read_schools(text.encode("cp1252"))
    assert problems == []
    first, second = records
    assert (first.uai, first.name, first.kind, first.sector, first.holiday_zone) == (
        "0750654G",
        "Lycée Condorcet",
        "lgt",
        "private_under_contract",
        "C",
    )
    assert (first.phone, first.email, first.line) == ("01 45 26 99 11", "ce@example.fr", 2)
    assert (second.kind, second.sector, second.holiday_zone, second.line) == (
        "college",
        "",
        None,
        4,
    )


def test_utf8_with_bom_commas_and_columns_in_any_order():
    text = '\ufeffnom,uai,nature\n"Lycée Voltaire, Paris",0750675E,LP\n'
    [record], problems = read_schools(text.encode("utf-8"))
    assert problems == [] and record.name == "Lycée Voltaire, Paris" and record.kind == "lp"


def test_a_line_with_too_many_cells_is_refused_naming_its_line():
    records, problems = read_schools(b"uai;nom;nature\n0750654G;A;lp;en trop\n0750675E;B;lp\n")
    assert [r.uai for r in records] == ["0750675E"]
    [problem] = problems
    assert problem.line == 2 and "séparateur" in problem.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"uai;nom\n0750654G;A\n", "manquantes : nature"),
        (b"uai;nom;nature;ville\n", "Colonnes inconnues : ville"),
    ],
)
def test_an_unreadable_file_is_refused_whole(content, message):
    with pytest.raises(SchoolsFileRefused, match=message):
        read_schools(content)
