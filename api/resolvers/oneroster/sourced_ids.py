"""OneRoster sourcedIds: a keyed hash of each record's natural key, written as a UUID.

The natural key is what identifies the thing in the French systems, never a database id:
the académie's code, a school's UAI, a school year's label, a class's code in its school and
year, a student's INE (else his SIECLE ELEVE_ID, else his name and birth date), a teacher's
STS-WEB id (else his login). The same data imported again into a new database gives the same
ids, and a student keeps his id from one year to the next. HMAC-SHA256 under a secret key
makes the id reveal nothing: whoever holds an id cannot check a guessed INE against it.

The key is ``SCONET_ONEROSTER_KEY`` when set, else one derived from ``SCONET_SECRET_KEY`` for
this purpose alone; changing it changes every sourcedId (clients must then sync from
scratch). The application configures it once at start (``use_key``); a command that builds
records configures it the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

from api.settings import Settings
from db.students import search_key

PURPOSE = b"sconet:oneroster sourcedId"
# Separates the parts of a natural key (no code nor name contains it).
SEPARATOR = "\x1f"
# sourcedIds already computed, by key and natural key: a roster built again after a write
# hashes the same keys again. Emptied when full (about 200 bytes an entry).
MAX_COMPUTED = 250_000
_computed: dict[tuple[bytes, bytes], str] = {}


@dataclass(frozen=True)
class SourcedIdKey:
    secret: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> SourcedIdKey:
        if settings.oneroster_key:
            return cls(settings.oneroster_key.encode())
        return cls(hmac.new(settings.secret_key.encode(), PURPOSE, hashlib.sha256).digest())

    def of(self, kind: str, *parts: str) -> str:
        """The sourcedId of a natural key: 16 bytes of the HMAC as a UUID (version 8, RFC 9562:
        a custom layout)."""
        message = SEPARATOR.join((kind, *parts)).encode()
        known = _computed.get((self.secret, message))
        if known is not None:
            return known
        if len(_computed) >= MAX_COMPUTED:
            _computed.clear()
        digest = bytearray(hmac.new(self.secret, message, hashlib.sha256).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x80
        digest[8] = (digest[8] & 0x3F) | 0x80
        text = digest.hex()
        sourced_id = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
        _computed[(self.secret, message)] = sourced_id
        return sourced_id


class SourcedIdKeyMissing(RuntimeError):
    """Records were asked for before the application configured the key."""


_configured: list[SourcedIdKey] = []


def use_key(key: SourcedIdKey) -> None:
    """The key of this process (set by the app factory and the commands, from the settings)."""
    _configured[:] = [key]


def current_key() -> SourcedIdKey:
    if not _configured:
        raise SourcedIdKeyMissing("the OneRoster sourcedId key is not configured (use_key)")
    return _configured[0]


def school_year_label(start_year: int) -> str:
    return f"{start_year}-{start_year + 1}"


@dataclass(frozen=True)
class NaturalKeys:
    """The natural key of each kind of record, hashed under one key."""

    key: SourcedIdKey
    academy_code: str

    def academy(self) -> str:
        return self.key.of("academy", self.academy_code)

    def school(self, uai: str) -> str:
        return self.key.of("school", uai)

    def school_year(self, start_year: int) -> str:
        return self.key.of("schoolYear", self.academy_code, school_year_label(start_year))

    def grading_period(self, uai: str, start_year: int, label: str) -> str:
        return self.key.of("gradingPeriod", uai, school_year_label(start_year), label)

    def mef_course(self, uai: str, start_year: int, mef_code: str) -> str:
        return self.key.of("course", uai, school_year_label(start_year), "MEF", mef_code)

    def subject_course(self, uai: str, start_year: int, subject_code: str) -> str:
        return self.key.of("course", uai, school_year_label(start_year), "SUBJECT", subject_code)

    def division(self, uai: str, start_year: int, code: str) -> str:
        return self.key.of("class", uai, school_year_label(start_year), "division", code)

    def group(self, uai: str, start_year: int, code: str) -> str:
        return self.key.of("class", uai, school_year_label(start_year), "group", code)

    def student(
        self,
        ine: str | None,
        siecle_id: str | None,
        family_name: str,
        first_name: str,
        birth_date: date | str,
    ) -> str:
        """INE once immatriculated; before, SIECLE's ELEVE_ID (kept for the student's whole
        schooling in the académie); a student entered by hand has neither: his name and birth
        date (the id then changes with his INE: the old one is reported as tobedeleted)."""
        if ine:
            return self.key.of("student", "INE", ine.upper())
        if siecle_id:
            return self.key.of("student", "SIECLE", self.academy_code, siecle_id)
        born = birth_date.isoformat() if isinstance(birth_date, date) else birth_date
        return self.key.of("student", "identity", search_key(family_name, first_name), born)

    def guardian(
        self, siecle_id: str | None, family_name: str, first_name: str, contact: str | None
    ) -> str:
        """SIECLE's PERSONNE_ID; a guardian entered by hand: his name and e-mail (or phone)."""
        if siecle_id:
            return self.key.of("guardian", "SIECLE", self.academy_code, siecle_id)
        return self.key.of(
            "guardian", "identity", search_key(family_name, first_name), (contact or "").lower()
        )

    def teacher(self, sts_id: str | None, login: str) -> str:
        if sts_id:
            return self.key.of("teacher", "STS", self.academy_code, sts_id)
        return self.key.of("teacher", "login", login.lower())

    def enrollment(self, class_id: str, user_id: str, role: str) -> str:
        return self.key.of("enrollment", class_id, user_id, role)


# The columns each natural key is made of, where rows are read or their former values rebuilt
# from the audit log (a write to one of them changes the sourcedId). The methods above and the
# ``*_key_of`` functions below read exactly these.
STUDENT_KEY_COLUMNS = ("ine", "siecle_id", "family_name", "first_name", "birth_date")
GUARDIAN_KEY_COLUMNS = ("siecle_id", "family_name", "first_name", "email", "phone_mobile")
TEACHER_KEY_COLUMNS = ("sts_id", "login")
# A division's or a group's; a grading period's.
CLASS_KEY_COLUMNS = ("school_id", "school_year_id", "code")
GRADING_PERIOD_KEY_COLUMNS = ("school_id", "school_year_id", "label")


def student_key_of(keys: NaturalKeys, row: Any) -> str:
    """The sourcedId of a student from a row (or audit snapshot) with his identity columns."""
    get: Any = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return keys.student(
        get("ine"), get("siecle_id"), get("family_name"), get("first_name"), get("birth_date")
    )


def guardian_key_of(keys: NaturalKeys, row: Any) -> str:
    get: Any = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return keys.guardian(
        get("siecle_id"),
        get("family_name"),
        get("first_name"),
        get("email") or get("phone_mobile"),
    )


BASE_PATH = "/ims/oneroster/rostering/v1p2"
# The collection a GUIDRef's href points into, by the GUIDRef's type.
REF_COLLECTIONS = {
    "org": "orgs",
    "academicSession": "academicSessions",
    "course": "courses",
    "class": "classes",
    "user": "users",
    "enrollment": "enrollments",
}


def guid_ref(ref_type: str, sourced_id: str) -> dict[str, str]:
    """A GUIDRef: the record's sourcedId, its type and where to read it."""
    return {
        "href": f"{BASE_PATH}/{REF_COLLECTIONS[ref_type]}/{sourced_id}",
        "sourcedId": sourced_id,
        "type": ref_type,
    }
