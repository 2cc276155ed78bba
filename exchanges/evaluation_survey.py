"""The rentrée evaluation survey (EVA, seed 002 event H: "Liaisons / Exporter / Evaluation de
rentrée (EVA)", sent to the académie base BEA): the students of the evaluated levels.

The seeds name the exchange, not its layout. The file carries what identifies a student for
the académie and places him in his class, one student a line, in this order:

    UAI;INE;NOM;PRENOM;SEXE;DATE_NAISSANCE;CODE_MEF;DIVISION

- a header line with these names, ``;`` between fields, CRLF line ends, UTF-8 with a byte
  order mark (as the project's other CSV files, which spreadsheets open with their accents);
- SEXE is M or F, DATE_NAISSANCE is DD/MM/YYYY as SIECLE writes every date, CODE_MEF the
  11-character MEF code, DIVISION the division's code (empty for a student without one);
- INE is empty for a student not yet immatriculated: the académie matches him by name and
  birth date; the export lists those students for the secretariat (they are not left out,
  since the evaluation concerns every student of the level).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from exchanges.records import EvaluationSurveyRecord
from exchanges.xml_writing import french_date

EVALUATION_SURVEY_COLUMNS = (
    "UAI",
    "INE",
    "NOM",
    "PRENOM",
    "SEXE",
    "DATE_NAISSANCE",
    "CODE_MEF",
    "DIVISION",
)


def evaluation_survey_file_name(uai: str, school_year: int) -> str:
    return f"EVA_{uai}_{school_year}.csv"


def evaluation_survey_bytes(students: Iterable[EvaluationSurveyRecord]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EVALUATION_SURVEY_COLUMNS)
    for student in students:
        writer.writerow(
            [
                student.uai,
                student.ine or "",
                student.family_name,
                student.first_name,
                student.sex,
                french_date(student.birth_date),
                student.mef_code,
                student.division_code or "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
