"""Records with every field set, for the writers' tests to check that each one is written."""

from __future__ import annotations

from datetime import date

from exchanges.records import (
    AddressRecord,
    FileHeader,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
)

HEADER = FileHeader(
    root="BEE_ELEVES", version=None, uai="0931234X", school_year=2025, exported_on=date(2025, 9, 15)
)


def student(siecle_id: str = "1826500", **changes: object) -> StudentRecord:
    values: dict[str, object] = dict(
        siecle_id=siecle_id,
        elenoet="5496",
        ine="070832327JA",
        family_name="ISSOLIHA",
        usage_name="ISSO",
        first_name="Farid",
        first_name_2="Keita",
        first_name_3="Omar",
        sex="M",
        birth_date=date(2012, 12, 22),
        birth_commune_code="93066",
        birth_department_code="093",
        birth_city=None,
        birth_country_code="100",
        nationality_code="335",
        mef_code="10310019110",
        regime_code="2",
        status_code="ST",
        repeating=True,
        entry_date=date(2022, 9, 1),
        exit_date=None,
        exit_motive_code=None,
        accepts_sms=True,
        address_siecle_id="1851082",
        previous=PreviousSchoolingRecord(
            mef_code="10210001110",
            division_code="4 D",
            uai="0752387M",
            name="COLLEGE ANDRE MALRAUX",
            commune_code="75117",
        ),
        modified_on=date(2025, 6, 2),
    )
    values.update(changes)
    return StudentRecord(**values)  # type: ignore[arg-type]


def address(siecle_id: str = "1851082", **changes: object) -> AddressRecord:
    values: dict[str, object] = dict(
        siecle_id=siecle_id,
        line1="5 bis rue Saint-Ferdinand",
        line2="Bâtiment B",
        line3="Escalier 2",
        line4="Porte 12",
        postal_code="93100",
        commune_code="93048",
        city="MONTREUIL",
        foreign_city=None,
        country_code="100",
    )
    values.update(changes)
    return AddressRecord(**values)  # type: ignore[arg-type]


def options(siecle_id: str = "1826500") -> StudentOptionsRecord:
    return StudentOptionsRecord(
        siecle_id, (OptionRecord(1, "O", "030201"), OptionRecord(2, "F", "020300"))
    )


def structures(siecle_id: str = "1826500") -> StudentStructuresRecord:
    return StudentStructuresRecord(
        siecle_id, (MembershipRecord("3A", "D"), MembershipRecord("3LCALA1", "G"))
    )


def person(siecle_id: str = "209401", **changes: object) -> PersonRecord:
    values: dict[str, object] = dict(
        siecle_id=siecle_id,
        civility="Mme",
        family_name="ROCK",
        usage_name="ROCHE",
        first_name="Maryline",
        phone_home="+33231204444",
        phone_mobile="+33764444288",
        phone_work="+33231200000",
        email="maryline.rock@example.org",
        accepts_sms=True,
        profession_code="75",
        address_siecle_id="1851082",
    )
    values.update(changes)
    return PersonRecord(**values)  # type: ignore[arg-type]


def responsibility(**changes: object) -> ResponsibilityRecord:
    values: dict[str, object] = dict(
        student_siecle_id="1826500",
        person_siecle_id="209401",
        level=1,
        kinship_code="10",
        pays_fees=True,
        receives_aid=True,
        lives_with=True,
        contact_first=False,
    )
    values.update(changes)
    return ResponsibilityRecord(**values)  # type: ignore[arg-type]
