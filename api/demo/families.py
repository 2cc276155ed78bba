"""Students, their families (guardians shared by siblings, sometimes across schools) and enrolments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from api.demo import data
from api.demo.model import Build, DivisionPlan, OutsideSchool, SchoolPlan
from api.demo.structures import new_uai, phone, school_communes, street_address
from db.enrollments import ExitReason, Regime
from db.guardians import Civility, Relationship
from db.reference import Commune, read_communes
from db.schools import SchoolKind, uai_check_letter
from db.students import Sex, search_key

FIRST_LEVELS = (data.MEF_6EME, data.MEF_2GT, data.MEF_1BTS_MCO)
EXIT_REASONS = (
    ExitReason.MOVE,
    ExitReason.CHANGE_OF_SCHOOL,
    ExitReason.ABROAD,
    ExitReason.HOME_SCHOOLING,
    ExitReason.OTHER,
)
EXIT_WEIGHTS = (5.0, 3.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Link:
    guardian_id: int
    relationship: Relationship
    legal_rank: int | None
    lives_with: bool
    receives_mail: bool
    pays_fees: bool


@dataclass
class Family:
    name: str
    origin: data.Origin
    mother_name: str | None
    # The household's address: the children's, and the guardians' who live with them.
    home_id: int
    links: list[Link] = field(default_factory=list)
    birth_years: list[int] = field(default_factory=list)


class Population:
    """Creates students with their families; siblings are drawn from families of the same town."""

    def __init__(self, build: Build) -> None:
        self.build = build
        self.rng = build.rng
        self.open_families: dict[str, list[Family]] = {}
        self.outside: dict[tuple[str, str], list[OutsideSchool]] = {}
        communes = read_communes()
        self.local = school_communes()
        self.paris = [c for c in communes if c.department == "075"]
        self.far = [c for c in communes if c.department not in ("075", "077", "093", "094")]
        self.origin_weights = [o.weight for o in data.ORIGINS]
        self.start = date(build.start_year, 9, 1)
        # Entries and exits after the start of the year happen before today (never in the future).
        self.last_move = min(build.today, date(build.start_year + 1, 6, 30)) - timedelta(days=1)

    # --- families ---------------------------------------------------------------------------

    def family_for(self, area: Commune, birth_year: int) -> Family:
        pool = self.open_families.setdefault(area.insee_code, [])
        if pool and self.rng.random() < 0.2:
            for _ in range(4):
                family = pool[self.rng.randrange(len(pool))]
                if birth_year not in family.birth_years:
                    family.birth_years.append(birth_year)
                    if len(family.birth_years) >= 3:
                        pool.remove(family)
                    return family
        family = self._new_family(area)
        family.birth_years.append(birth_year)
        pool.append(family)
        return family

    def _home(self, area: Commune) -> Commune:
        if self.rng.random() < 0.8:
            return area
        return self.rng.choice([c for c in self.local if c.department == area.department])

    def _new_family(self, area: Commune) -> Family:
        rng = self.rng
        origin = rng.choices(data.ORIGINS, weights=self.origin_weights)[0]
        name = rng.choice(origin.surnames)
        home = self._home(area)
        address = (street_address(self.build), self._complement(), home)
        home_id = self._address(address)
        r = rng.random()
        if r < 0.01:
            family = Family(name=name, origin=origin, mother_name=None, home_id=home_id)
            tutor_woman = rng.random() < 0.5
            family.links.append(
                self._guardian(
                    origin, rng.choice(origin.surnames), tutor_woman, home_id,
                    Relationship.TUTOR, 1, lives_with=True,
                )
            )  # fmt: skip
        elif r < 0.17:
            is_mother = rng.random() < 0.8
            family = Family(
                name=name, origin=origin, mother_name=name if is_mother else None, home_id=home_id
            )
            relationship = Relationship.MOTHER if is_mother else Relationship.FATHER
            family.links.append(
                self._guardian(origin, name, is_mother, home_id, relationship, 1, lives_with=True)
            )
        else:
            mother_name = rng.choice(origin.surnames)
            married = rng.random() < 0.6 and mother_name != name
            family = Family(name=name, origin=origin, mother_name=mother_name, home_id=home_id)
            separated = rng.random() < 0.18
            mother_first = rng.random() < 0.75
            mother = self._guardian(
                origin, mother_name, True, home_id, Relationship.MOTHER,
                1 if mother_first else 2, lives_with=True,
                usage_name=name if married and not separated else None,
            )  # fmt: skip
            father_address = (
                self._address((street_address(self.build), None, self._home(area)))
                if separated
                else home_id
            )
            father = self._guardian(
                origin, name, False, father_address, Relationship.FATHER,
                2 if mother_first else 1, lives_with=not separated,
            )  # fmt: skip
            family.links += [mother, father] if mother_first else [father, mother]
        if rng.random() < 0.05:
            relationship = (
                Relationship.OTHER_FAMILY_MEMBER if rng.random() < 0.8 else Relationship.OTHER
            )
            other_address = self._address((street_address(self.build), None, self._home(area)))
            family.links.append(
                self._guardian(
                    origin, rng.choice((name, rng.choice(origin.surnames))), rng.random() < 0.6,
                    other_address, relationship, None, lives_with=False,
                )
            )  # fmt: skip
        return family

    def _complement(self) -> str | None:
        return self.rng.choice(data.ADDRESS_COMPLEMENTS) if self.rng.random() < 0.15 else None

    def _address(self, address: tuple[str, str | None, Commune]) -> int:
        line1, line2, commune = address
        address_id = self.build.new_id("addresses")
        self.build.add(
            "addresses",
            id=address_id,
            line1=line1,
            line2=line2,
            postal_code=commune.postal_code,
            commune_code=commune.insee_code,
            city=commune.name,
            country_code="100",
            version=1,
            created_at=self.build.now,
            updated_at=self.build.now,
        )
        return address_id

    def _guardian(
        self,
        origin: data.Origin,
        family_name: str,
        woman: bool,
        address_id: int,
        relationship: Relationship,
        legal_rank: int | None,
        *,
        lives_with: bool,
        usage_name: str | None = None,
    ) -> Link:
        rng = self.rng
        build = self.build
        first_name = rng.choice(origin.women if woman else origin.men)
        legal = legal_rank is not None
        email = None
        if rng.random() < (0.85 if legal else 0.4):
            local = ".".join(
                search_key(part).lower().replace(" ", "-") for part in (first_name, family_name)
            )
            number = str(rng.randint(1, 99)) if rng.random() < 0.4 else ""
            email = f"{local}{number}@{rng.choice(data.EMAIL_DOMAINS)}"
        guardian_id = build.new_id("guardians")
        build.add(
            "guardians",
            id=guardian_id,
            civility=Civility.MME if woman else Civility.M,
            family_name=family_name,
            usage_name=usage_name,
            first_name=first_name,
            address_id=address_id,
            phone_home=phone(build, "01") if rng.random() < 0.3 else None,
            phone_mobile=phone(build, rng.choice(("06", "07"))) if rng.random() < 0.95 else None,
            phone_work=phone(build, "01") if rng.random() < 0.15 else None,
            email=email,
            version=1,
            created_at=build.now,
            updated_at=build.now,
        )
        return Link(
            guardian_id=guardian_id,
            relationship=relationship,
            legal_rank=legal_rank,
            lives_with=lives_with,
            receives_mail=legal,
            pays_fees=legal_rank == 1,
        )

    # --- schools a student came from ----------------------------------------------------------

    def outside_school(self, kind: str, department: str, city: str | None = None) -> OutsideSchool:
        """One of a few schools outside the demo (primary schools, other collèges, other académies)."""
        key = (kind, department)
        pool = self.outside.setdefault(key, [])
        if len(pool) < 8:
            names = {
                "primary": ("École élémentaire", data.PRIMARY_NAMES),
                "college": ("Collège", data.COLLEGE_NAMES),
                "lycee": ("Lycée", data.LYCEE_NAMES),
            }[kind]
            name = f"{names[0]} {self.rng.choice(names[1])}"
            if city:
                name += f" ({city})"
            pool.append(OutsideSchool(uai=new_uai(self.build, department), name=name))
            return pool[-1]
        return self.rng.choice(pool)

    # --- students -------------------------------------------------------------------------

    def populate(self, school: SchoolPlan) -> None:
        for division in school.divisions:
            count = division.planned - self.rng.choice((0, 0, 0, 1, 2))
            school.members[division.id] = [self._student(school, division) for _ in range(count)]

    def _birth_place(self, origin: data.Origin, school: SchoolPlan) -> tuple[str | None, str, str]:
        rng = self.rng
        if rng.random() < origin.abroad_rate:
            country, city = rng.choice(origin.birth_abroad)
            return None, city, country
        r = rng.random()
        if r < 0.3:
            commune = school.commune
        elif r < 0.65:
            commune = rng.choice(
                [c for c in self.local if c.department == school.commune.department]
            )
        elif r < 0.88:
            commune = rng.choice(self.paris)
        else:
            commune = rng.choice(self.far)
        return commune.insee_code, commune.name, "100"

    def _ine(self) -> str:
        while True:
            digits = f"{self.rng.randrange(10**10):010d}"
            ine = digits + uai_check_letter(digits)
            if ine not in self.build.used_ines:
                self.build.used_ines.add(ine)
                return ine

    def _regime(self, school: SchoolPlan) -> Regime:
        r = self.rng.random()
        if school.kind is SchoolKind.COLLEGE:
            return (
                Regime.INTERNE
                if r < 0.003
                else Regime.DEMI_PENSIONNAIRE
                if r < 0.66
                else Regime.EXTERNE
            )
        return (
            Regime.INTERNE if r < 0.04 else Regime.DEMI_PENSIONNAIRE if r < 0.58 else Regime.EXTERNE
        )

    def _date_between(self, first: date, last: date) -> date | None:
        if last < first:
            return None
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def _student(self, school: SchoolPlan, division: DivisionPlan) -> int:
        """Create a student of ``division`` with family, current enrolment and history; return the enrolment id."""
        rng = self.rng
        build = self.build
        mef = division.mef_code
        age = build.catalog.mef_ages[mef]
        assert age is not None, mef
        r = rng.random()
        delay = 1 if r < 0.10 else -1 if r < 0.12 else 0
        birth_year = build.start_year - age - delay
        repeater = delay == 1 and rng.random() < 0.5
        woman = rng.random() < 0.5
        family = self.family_for(school.commune, birth_year)
        origin = family.origin
        names = origin.girls if woman else origin.boys
        first_name = rng.choice(names)
        first_name_2 = first_name_3 = None
        if rng.random() < 0.4:
            first_name_2 = rng.choice(names)
            if first_name_2 == first_name:
                first_name_2 = None
            elif rng.random() < 0.25:
                first_name_3 = rng.choice(origin.women if woman else origin.men)
        usage_name = None
        if family.mother_name and family.mother_name != family.name and rng.random() < 0.04:
            usage_name = rng.choice((family.mother_name, f"{family.name}-{family.mother_name}"))
        birth_date = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
        commune_code, birth_city, country = self._birth_place(origin, school)
        student_id = build.new_id("students")
        build.add(
            "students",
            id=student_id,
            ine=self._ine() if rng.random() < 0.97 else None,
            family_name=family.name,
            usage_name=usage_name,
            first_name=first_name,
            first_name_2=first_name_2,
            first_name_3=first_name_3,
            sex=Sex.F if woman else Sex.M,
            birth_date=birth_date,
            birth_commune_code=commune_code,
            birth_city=birth_city,
            birth_country_code=country,
            address_id=family.home_id,
            search_name=search_key(family.name, first_name),
            usage_search_name=search_key(usage_name, first_name) if usage_name else None,
            created_by_id=None,
            version=1,
            created_at=build.now,
            updated_at=build.now,
        )
        for link in family.links:
            build.add(
                "guardian_links",
                id=build.new_id("guardian_links"),
                student_id=student_id,
                guardian_id=link.guardian_id,
                legal_rank=link.legal_rank,
                relationship=link.relationship,
                lives_with=link.lives_with,
                receives_mail=link.receives_mail,
                pays_fees=link.pays_fees,
                version=1,
                created_at=build.now,
                updated_at=build.now,
            )
        regime = self._regime(school)
        previous = self._history(school, mef, repeater, regime, student_id)
        entry = self.start
        if previous.get("late") or rng.random() < 0.005:
            entry = self._date_between(self.start + timedelta(days=1), self.last_move) or self.start
        exit_date = exit_reason = None
        if rng.random() < 0.015:
            exit_date = self._date_between(
                max(entry + timedelta(days=7), self.start + timedelta(days=14)), self.last_move
            )
            if exit_date is not None:
                exit_reason = rng.choices(EXIT_REASONS, weights=EXIT_WEIGHTS)[0]
        enrollment_id = build.new_id("enrollments")
        build.add(
            "enrollments",
            **self._enrollment(enrollment_id, student_id, school.id, build.current_year_id, mef),
            division_id=division.id,
            regime=regime,
            entry_date=entry,
            exit_date=exit_date,
            exit_reason=exit_reason,
            previous_school_uai=previous.get("uai"),
            previous_school_name=previous.get("name"),
        )
        return enrollment_id

    def _enrollment(
        self, enrollment_id: int, student_id: int, school_id: int, year_id: int, mef: str
    ) -> dict[str, Any]:
        return {
            "id": enrollment_id,
            "student_id": student_id,
            "school_id": school_id,
            "school_year_id": year_id,
            "mef_id": self.build.mef_id(mef),
            "version": 1,
            "created_at": self.build.now,
            "updated_at": self.build.now,
        }

    def _history(
        self, school: SchoolPlan, mef: str, repeater: bool, regime: Regime, student_id: int
    ) -> dict[str, Any]:
        """Last year's enrolment (in a demo school) and the previous school of the current one."""
        rng = self.rng
        build = self.build
        department = school.commune.department
        if repeater:
            self._previous(school, mef, regime, student_id, left=False)
            return {}
        if mef == data.MEF_6EME:
            outside = self.outside_school("primary", department)
            return {"uai": outside.uai, "name": outside.name}
        if mef == data.MEF_2GT:
            colleges = [s for s in build.schools if s.kind is SchoolKind.COLLEGE]
            nearby = [s for s in colleges if s.commune == school.commune]
            r = rng.random()
            origin_school = (
                rng.choice(nearby)
                if nearby and r < 0.55
                else rng.choice(colleges)
                if r < 0.8
                else None
            )
            if origin_school is None:
                outside = self.outside_school("college", rng.choice(("077", "093", "094")))
                return {"uai": outside.uai, "name": outside.name}
            self._previous(origin_school, data.MEF_3EME, regime, student_id, left=True)
            return {"uai": origin_school.uai, "name": origin_school.name}
        if mef == data.MEF_1BTS_MCO:
            lycees = [s for s in build.schools if s.kind is SchoolKind.LGT]
            if rng.random() < 0.7:
                origin_school = rng.choice(lycees)
                self._previous(
                    origin_school, rng.choice(data.TERMINALES), regime, student_id,
                    left=origin_school is not school,
                )  # fmt: skip
                if origin_school is school:
                    return {}
                return {"uai": origin_school.uai, "name": origin_school.name}
            outside = self.outside_school("lycee", rng.choice(("077", "093", "094")))
            return {"uai": outside.uai, "name": outside.name}
        if rng.random() < 0.03:
            other_department, city = rng.choice(data.ELSEWHERE)
            kind = "college" if school.kind is SchoolKind.COLLEGE else "lycee"
            outside = self.outside_school(kind, other_department, city)
            return {"uai": outside.uai, "name": outside.name, "late": rng.random() < 0.6}
        self._previous(school, data.PREVIOUS_MEF[mef], regime, student_id, left=False)
        return {}

    def _previous(
        self, school: SchoolPlan, mef: str, regime: Regime, student_id: int, *, left: bool
    ) -> None:
        build = self.build
        year = build.start_year - 1
        if left:  # another school, its own canteen and boarding
            regime = self._regime(school)
        row = build.add(
            "enrollments",
            **self._enrollment(
                build.new_id("enrollments"), student_id, school.id, build.previous_year_id, mef
            ),
            division_id=None,  # set once last year's divisions exist
            regime=regime,
            entry_date=date(year, 9, 1),
            exit_date=date(year + 1, 7, 4) if left else None,
            exit_reason=ExitReason.END_OF_CYCLE if left else None,
            previous_school_uai=None,
            previous_school_name=None,
        )
        build.previous.setdefault((school.id, mef), []).append(row)
