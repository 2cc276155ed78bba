"""The places of the staff portal a user goes to: one table for the menu, the home tiles and
the guard of each page.

A destination's permissions are declared here once: ``page_handler`` refuses its page to
whoever holds none of them, the menu and the home page show it only to whoever holds one,
so that a tile never leads to "Accès refusé" and no page is reachable that the menu hides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied


@dataclass(frozen=True)
class Destination:
    key: str  # the menu entry marked as current on the destination's pages
    label: str
    path: str
    # Any one of them opens the destination; none: every signed-in user.
    permissions: tuple[Permission, ...] = ()
    tile_title: str = ""
    tile_detail: str = ""
    # Checked in the school being worked on, not anywhere (rights decided per school).
    in_working_school: bool = False

    def allowed(self, can: Callable[[Permission], bool]) -> bool:
        return not self.permissions or any(can(p) for p in self.permissions)

    def require(self, can: Callable[[Permission], bool]) -> None:
        if not self.allowed(can):
            raise PermissionDenied(self.permissions[0])


HOME = Destination("accueil", "Accueil", "/")
ACCOUNT = Destination("compte", "Mon compte", "/compte")
STUDENTS = Destination(
    "eleves",
    "Élèves",
    "/eleves",
    (Permission.STUDENTS_READ,),
    "Rechercher un élève",
    "Par nom, INE, division ou MEF ; consulter et mettre à jour la fiche élève.",
)
NEW_STUDENT = Destination(
    "eleves",
    "Nouvel élève",
    "/eleves/nouveau",
    (Permission.STUDENTS_WRITE,),
    in_working_school=True,
)
ROLL_CALL = Destination(
    "absences",
    "Faire l'appel",
    "/absences/appel",
    (Permission.ABSENCES_WRITE,),
    "Faire l'appel",
    "Pour une classe et un créneau : les absents et les retards, en quelques clics.",
)
ABSENCES = Destination(
    "absences",
    "Absences",
    "/absences",
    (Permission.ABSENCES_READ,),
    "Absences de la semaine",
    "La grille de la classe : saisir, justifier et régulariser absences et retards.",
)
FOLLOW_UP = Destination(
    "absences",
    "Suivi des absences",
    "/absences/suivi",
    (Permission.ABSENCES_READ,),
)
FAMILIES_TO_CONTACT = Destination(
    "absences",
    "Familles à contacter",
    "/absences/a-contacter",
    (Permission.ABSENCES_MANAGE,),
    "Familles à contacter",
    "Les élèves absents sans justificatif : courrier, courriel ou SMS aux familles.",
)
ABSENCE_SETTINGS = Destination(
    "absences",
    "Paramètres des absences",
    "/absences/parametres",
    (Permission.ABSENCES_MANAGE,),
)
# The rectorat reads the absenteeism indicator without reading absences.
ABSENTEEISM = Destination(
    "absences",
    "Absentéisme",
    "/absences/statistiques",
    (Permission.ABSENCES_READ, Permission.STATISTICS_READ),
    "Absentéisme",
    "Demi-journées d'absence et indicateur mensuel (4 demi-journées non justifiées et plus).",
)
STRUCTURES = Destination(
    "divisions",
    "Divisions et groupes",
    "/divisions",
    (Permission.STRUCTURES_READ,),
    "Divisions et groupes",
    "Les classes de l'établissement, leurs effectifs et les listes de classe à exporter.",
)
TELESERVICES = Destination(
    "teleservices",
    "Télé-services",
    "/teleservices",
    (Permission.TELESERVICES_MANAGE,),
    "Télé-services",
    "Ouvrir les services aux familles, remettre et notifier les codes d'activation.",
)
STATISTICS = Destination(
    "statistiques",
    "Statistiques",
    "/statistiques",
    (Permission.STATISTICS_READ,),
    "Statistiques",
    "Effectifs par MEF, division, sexe, âge et régime.",
)
JOURNAL = Destination(
    "journal",
    "Journal",
    "/journal",
    (Permission.AUDIT_READ,),
    "Journal des accès et modifications",
    "Qui a consulté, exporté ou modifié quoi, et quand.",
)
DELEGATIONS = Destination(
    "delegations",
    "Délégations",
    "/delegations",
    (Permission.DELEGATIONS_MANAGE,),
    "Délégations",
    "Les droits de chaque personnel de l'établissement.",
    in_working_school=True,
)
ACCOUNTS = Destination(
    "comptes",
    "Comptes",
    "/comptes",
    (Permission.ACCOUNTS_MANAGE,),
    "Comptes des personnels",
    "Créer, suspendre ou réactiver un compte ; réinitialiser un second facteur.",
)
CLIENTS = Destination(
    "clients",
    "Clients de l'API",
    "/clients",
    (Permission.CLIENTS_MANAGE,),
    "Clients de l'API",
    "Les logiciels tiers (ENT, emplois du temps) autorisés à lire ou écrire des données.",
)

# The main menu: one entry per key, the first allowed one (Absences, else Absentéisme).
MENU = (
    HOME,
    STUDENTS,
    STRUCTURES,
    ABSENCES,
    ABSENTEEISM,
    TELESERVICES,
    STATISTICS,
    JOURNAL,
    DELEGATIONS,
    ACCOUNTS,
    CLIENTS,
)
# The home tiles: what a role does daily comes first.
TILES = (
    ROLL_CALL,
    ABSENCES,
    FAMILIES_TO_CONTACT,
    TELESERVICES,
    STUDENTS,
    STRUCTURES,
    ABSENTEEISM,
    STATISTICS,
    JOURNAL,
    DELEGATIONS,
    ACCOUNTS,
    CLIENTS,
)
# The absence screens' own menu: (key marked current by each screen, label, destination).
ABSENCE_MENU = (
    ("saisie", "Saisie", ABSENCES),
    ("appel", "Appel", ROLL_CALL),
    ("suivi", "Suivi", FOLLOW_UP),
    ("contacts", "Familles à contacter", FAMILIES_TO_CONTACT),
    ("statistiques", "Statistiques", ABSENTEEISM),
    ("parametres", "Paramètres", ABSENCE_SETTINGS),
)
