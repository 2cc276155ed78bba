"""The rentrée evaluation survey (EVA) file: its documented columns, French dates, a student
without INE kept with an empty INE."""

from __future__ import annotations

import csv
import io
from datetime import date

from exchanges.evaluation_survey import (
    EVALUATION_SURVEY_COLUMNS,
    evaluation_survey_bytes,
    evaluation_survey_file_name,
)
from exchanges.records import EvaluationSurveyRecord


def test_the_eva_file() -> None:
    data = evaluation_survey_bytes(
        [
            EvaluationSurveyRecord(
                "0931234X", "1234567890A", "Élan", "Éloïse", "F", date(2015, 6, 30),
                "10010012110", "6A",
            ),
            EvaluationSurveyRecord(
                "0931234X", None, "O'Neil; Jr", "Sam", "M", date(2015, 1, 2), "10010012110",
                None,
            ),
        ]
    )  # fmt: skip
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        list(EVALUATION_SURVEY_COLUMNS),
        ["0931234X", "1234567890A", "Élan", "Éloïse", "F", "30/06/2015", "10010012110", "6A"],
        ["0931234X", "", "O'Neil; Jr", "Sam", "M", "02/01/2015", "10010012110", ""],
    ]
    assert rows[0] == [
        "UAI",
        "INE",
        "NOM",
        "PRENOM",
        "SEXE",
        "DATE_NAISSANCE",
        "CODE_MEF",
        "DIVISION",
    ]
    assert evaluation_survey_file_name("0931234X", 2026) == "EVA_0931234X_2026.csv"
