"""The places of the staff portal a user goes to: one table for the menu, the home tiles and
the guard of each page.

A destination names the domain functions its page opens with; its permissions are theirs,
as declared once on each function (``@requires``), never written again here. Holding any
one of them opens the destination: ``page_handler`` refuses its page to whoever holds none,
the menu and the home page show it only to whoever holds one, so that a tile never leads
to "Accès refusé" and no page is reachable that the menu hides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.auth.guard import permission_of
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied
from api.resolvers.absences.configuration import configuration_forms
from api.resolvers.absences.family_contacts import contact_families
from api.resolvers.absences.follow_up import division_sheet, search_events
from api.resolvers.absences.indicator import monthly_indicator
from api.resolvers.absences.roll_calls import roll_call_sheet
from api.resolvers.absences.statistics import absence_statistics
from api.resolvers.accounts import manageable_accounts
from api.resolvers.audit import audit_trail
from api.resolvers.clients import list_clients
from api.resolvers.delegations import school_staff_rights
from api.resolvers.enrollments import (
    division_certificates,
    enrollment_certificate,
    move_student,
    record_departure,
)
from api.resolvers.exchanges.runs import exchange_history
from api.resolvers.finances.charge_transfers import transfer_file, transfer_preview
from api.resolvers.finances.charges import charge_preview
from api.resolvers.finances.notices import notice_pdf, term_notices, term_notices_pdf
from api.resolvers.finances.reductions import service_closures
from api.resolvers.finances.regimes import regime_enrollments, regime_sheet
from api.resolvers.finances.reminders import accounts_to_remind
from api.resolvers.finances.statements import account_statement, family_accounts
from api.resolvers.finances.tariffs import finance_settings, tariffs
from api.resolvers.finances.terms import finance_terms
from api.resolvers.grades import (
    class_assessments,
    create_assessment,
    graded_classes,
    marks_grid,
    period_averages,
)
from api.resolvers.guardians import link_guardian, update_guardian
from api.resolvers.headcounts import constat_document, school_snapshot
from api.resolvers.immatriculation import liaison_dashboard, probable_duplicates
from api.resolvers.nomenclatures import school_nomenclature_profile
from api.resolvers.passage import add_newcomer, decide_division, place
from api.resolvers.rentree import academy_rentree_schools, rentree_state
from api.resolvers.scholarships.files import (
    create_file,
    decision_letter,
    scholarship_file,
    scholarship_files,
)
from api.resolvers.scholarships.payments import term_payment_preview
from api.resolvers.scholarships.summaries import academy_term_summary, scholars, term_summary
from api.resolvers.schools import academy_schools, create_school_year
from api.resolvers.statistics import headcounts
from api.resolvers.structures import (
    create_division,
    create_group,
    list_divisions,
    update_division,
    update_group,
)
from api.resolvers.students import (
    create_student,
    division_information_sheets,
    information_sheet,
    search_students,
)
from api.resolvers.teleservices.services import school_services
from api.resolvers.transfers import take_student_file, transfer_candidates


@dataclass(frozen=True)
class Destination:
    key: str  # the menu entry marked as current on the destination's pages
    label: str
    path: str
    # The domain functions the page opens with; none: every signed-in user.
    opens: tuple[Callable[..., Any], ...] = ()
    tile_title: str = ""
    tile_detail: str = ""
    # Checked in the school being worked on, not anywhere (rights decided per school).
    in_working_school: bool = False
    # Any one of them opens the destination: the ``@requires`` of the functions it opens.
    permissions: tuple[Permission, ...] = field(init=False)

    def __post_init__(self) -> None:
        declared = [permission_of(fn) for fn in self.opens]
        if None in declared:
            # Its page would be open to everyone: the function must declare its permission.
            raise TypeError(f"{self.path}: a function it opens has no @requires")
        permissions = tuple(dict.fromkeys(p for p in declared if p is not None))
        object.__setattr__(self, "permissions", permissions)

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
    (search_students,),
    "Rechercher un élève",
    "Par nom, INE, division ou MEF ; consulter et mettre à jour la fiche élève.",
)
NEW_STUDENT = Destination(
    "eleves",
    "Nouvel élève",
    "/eleves/nouveau",
    (create_student,),
    in_working_school=True,
)
# A student arriving from another school of the académie: found there, his file taken here.
TRANSFER = Destination(
    "eleves",
    "Arrivée d'un élève d'un autre établissement",
    "/eleves/arrivee",
    (transfer_candidates, take_student_file),
    in_working_school=True,
)
# The registrar's screens on a student's schooling in the school being worked on.
SCHOOLING = Destination(
    "eleves", "Modifier la scolarité", "/eleves/{student_id:int}/scolarite", (move_student,)
)
DEPARTURE = Destination(
    "eleves", "Sortie de l'élève", "/eleves/{student_id:int}/sortie", (record_departure,)
)
# The registrar's screens on a student's guardians.
GUARDIAN = Destination(
    "eleves",
    "Modifier le responsable",
    "/eleves/{student_id:int}/responsables/{link_id:int}",
    (update_guardian,),
)
NEW_GUARDIAN = Destination(
    "eleves",
    "Ajouter un responsable",
    "/eleves/{student_id:int}/responsables/ajouter",
    (link_guardian,),
)
CERTIFICATE = Destination(
    "eleves",
    "Certificat de scolarité",
    "/eleves/{student_id:int}/certificat.pdf",
    (enrollment_certificate,),
)
INFORMATION_SHEET = Destination(
    "eleves",
    "Fiche de renseignements",
    "/eleves/{student_id:int}/fiche-renseignements.pdf",
    (information_sheet,),
)
ROLL_CALL = Destination(
    "absences",
    "Faire l'appel",
    "/absences/appel",
    (roll_call_sheet,),
    "Faire l'appel",
    "Pour une classe et un créneau : les absents et les retards, en quelques clics.",
)
ABSENCES = Destination(
    "absences",
    "Absences",
    "/absences",
    (division_sheet,),
    "Absences de la semaine",
    "La grille de la classe : saisir, justifier et régulariser absences et retards.",
)
FOLLOW_UP = Destination(
    "absences",
    "Suivi des absences",
    "/absences/suivi",
    (search_events,),
)
FAMILIES_TO_CONTACT = Destination(
    "absences",
    "Familles à contacter",
    "/absences/a-contacter",
    (contact_families,),
    "Familles à contacter",
    "Les élèves absents sans justificatif : courrier, courriel ou SMS aux familles.",
)
ABSENCE_SETTINGS = Destination(
    "absences",
    "Paramètres des absences",
    "/absences/parametres",
    (configuration_forms,),
)
# The rectorat reads the absenteeism indicator without reading absences.
ABSENTEEISM = Destination(
    "absences",
    "Absentéisme",
    "/absences/statistiques",
    (absence_statistics, monthly_indicator),
    "Absentéisme",
    "Demi-journées d'absence et indicateur mensuel (4 demi-journées non justifiées et plus).",
)
# A teacher's marks (the principal's, for every class): his classes, a class's assessments,
# a new one, the grid of marks, the period averages.
GRADES = Destination(
    "notes",
    "Notes",
    "/notes",
    (graded_classes,),
    "Notes",
    "Créer les devoirs de vos classes, saisir les notes, voir les moyennes par période.",
    in_working_school=True,
)
GRADES_CLASS = Destination(
    "notes", "Devoirs de la classe", "/notes/classe", (class_assessments,), in_working_school=True
)
NEW_ASSESSMENT = Destination(
    "notes",
    "Nouveau devoir",
    "/notes/classe/nouveau-devoir",
    (create_assessment,),
    in_working_school=True,
)
MARKS = Destination(
    "notes",
    "Saisie des notes",
    "/notes/devoirs/{assessment_id:int}",
    (marks_grid,),
    in_working_school=True,
)
GRADE_AVERAGES = Destination(
    "notes",
    "Moyennes de la classe",
    "/notes/classe/moyennes",
    (period_averages,),
    in_working_school=True,
)
STRUCTURES = Destination(
    "divisions",
    "Divisions et groupes",
    "/divisions",
    (list_divisions,),
    "Divisions et groupes",
    "Les classes de l'établissement, leurs effectifs et les listes de classe à exporter.",
)
NEW_DIVISION = Destination(
    "divisions",
    "Nouvelle division",
    "/divisions/nouvelle",
    (create_division,),
    in_working_school=True,
)
EDIT_DIVISION = Destination(
    "divisions", "Modifier la division", "/divisions/{division_id:int}/modifier", (update_division,)
)
DIVISION_CERTIFICATES = Destination(
    "divisions",
    "Certificats de scolarité de la division",
    "/divisions/{division_id:int}/certificats.pdf",
    (division_certificates,),
)
DIVISION_INFORMATION_SHEETS = Destination(
    "divisions",
    "Fiches de renseignements de la division",
    "/divisions/{division_id:int}/fiches-renseignements.pdf",
    (division_information_sheets,),
)
NEW_GROUP = Destination(
    "divisions", "Nouveau groupe", "/groupes/nouveau", (create_group,), in_working_school=True
)
EDIT_GROUP = Destination(
    "divisions", "Modifier le groupe", "/groupes/{group_id:int}/modifier", (update_group,)
)
# Next year's preparation in the school being worked on: decisions, placement, newcomers.
PASSAGE = Destination(
    "passage",
    "Passage",
    "/passage",
    (decide_division,),
    "Passage et année en préparation",
    "Décisions de passage par division, placement dans les divisions de l'an prochain, "
    "nouveaux élèves affectés.",
    in_working_school=True,
)
PASSAGE_DIVISION = Destination(
    "passage",
    "Décisions de passage de la division",
    "/passage/divisions/{division_id:int}",
    (decide_division,),
    in_working_school=True,
)
PASSAGE_UNDIVIDED = Destination(
    "passage",
    "Décisions de passage des élèves sans division",
    "/passage/sans-division",
    (decide_division,),
    in_working_school=True,
)
PASSAGE_PLACEMENT = Destination(
    "passage", "Placement", "/passage/placement", (place,), in_working_school=True
)
PASSAGE_NEWCOMER = Destination(
    "passage",
    "Nouvel élève affecté",
    "/passage/nouvel-eleve",
    (add_newcomer,),
    in_working_school=True,
)
TELESERVICES = Destination(
    "teleservices",
    "Télé-services",
    "/teleservices",
    (school_services,),
    "Télé-services",
    "Ouvrir les services aux familles, remettre et notifier les codes d'activation.",
)
STATISTICS = Destination(
    "statistiques",
    "Statistiques",
    "/statistiques",
    (headcounts,),
    "Statistiques",
    "Effectifs par MEF, division, sexe, âge et régime.",
)
HEADCOUNTS = Destination(
    "constat",
    "Constat de rentrée",
    "/constat",
    (school_snapshot,),
    "Constat de rentrée",
    "Figer les effectifs de la rentrée et leurs anomalies ; la consolidation académique.",
)
HEADCOUNTS_PDF = Destination(
    "constat",
    "Constat de rentrée (PDF)",
    "/constat/{snapshot_id:int}/constat.pdf",
    (constat_document,),
)
# The student's finances: the home lists the parts (each part adds its own).
FINANCES = Destination(
    "finances",
    "Finances",
    "/finances",
    (finance_terms,),
    "Finances",
    "Tarifs, droits constatés du trimestre, remises, paiements et comptes des familles.",
)
FINANCE_SETTINGS = Destination(
    "finances", "Paramètres financiers", "/finances/parametres", (finance_settings,)
)
TARIFFS = Destination("finances", "Tarifs", "/finances/tarifs", (tariffs,))
CHARGE_GENERATION = Destination(
    "finances", "Génération des droits constatés", "/finances/generation", (charge_preview,)
)
# The term's documents of the finances (linked from the finances home, /finances).
FINANCE_NOTICES = Destination(
    "finances",
    "Avis aux familles",
    "/finances/avis",
    (term_notices,),
    in_working_school=True,
)
FINANCE_NOTICE_PDF = Destination(
    "finances", "Avis aux familles (PDF)", "/finances/avis/{notice_id:int}/avis.pdf", (notice_pdf,)
)
FINANCE_NOTICES_PDF = Destination(
    "finances",
    "Avis du trimestre (PDF)",
    "/finances/avis/trimestres/{term_id:int}/avis.pdf",
    (term_notices_pdf,),
)
FINANCE_REMINDERS = Destination(
    "finances", "Relances", "/finances/relances", (accounts_to_remind,), in_working_school=True
)
FINANCE_TRANSFER = Destination(
    "finances",
    "Transfert de créances",
    "/finances/transfert",
    (transfer_preview,),
    in_working_school=True,
)
FINANCE_TRANSFER_FILE = Destination(
    "finances",
    "Fichier du transfert de créances",
    "/finances/transfert/{transfer_id:int}/fichier.csv",
    (transfer_file,),
)
# Scholarships: the files of the school being worked on, its scholars and payments; the
# état récapitulatif, which the rectorat reads académie-wide.
SCHOLARSHIPS = Destination(
    "bourses",
    "Bourses",
    "/bourses",
    (scholarship_files,),
    "Bourses",
    "Dossiers de bourse de collège et de lycée : instruction, décision, boursiers, "
    "versement à terme échu.",
    in_working_school=True,
)
NEW_SCHOLARSHIP = Destination(
    "bourses",
    "Nouveau dossier de bourse",
    "/bourses/nouveau",
    (create_file,),
    in_working_school=True,
)
SCHOLARSHIP_FILE = Destination(
    "bourses", "Dossier de bourse", "/bourses/{file_id:int}", (scholarship_file,)
)
SCHOLARSHIP_LETTER = Destination(
    "bourses", "Lettre de décision", "/bourses/{file_id:int}/decision.pdf", (decision_letter,)
)
SCHOLARS = Destination(
    "bourses", "Boursiers", "/bourses/boursiers", (scholars,), in_working_school=True
)
SCHOLARSHIP_SUMMARY = Destination(
    "bourses",
    "État récapitulatif des bourses",
    "/bourses/etat",
    (term_summary, academy_term_summary),
)
SCHOLARSHIP_PAYMENT = Destination(
    "bourses",
    "Versement des bourses",
    "/bourses/versement",
    (term_payment_preview,),
    in_working_school=True,
)
# The bursar's family accounts: the list, and one account's statement with its forms.
FAMILY_ACCOUNTS = Destination(
    "finances",
    "Comptes des familles",
    "/finances/comptes",
    (family_accounts,),
    in_working_school=True,
)
FAMILY_ACCOUNT = Destination(
    "finances",
    "Compte d'une famille",
    "/finances/comptes/{account_id:int}",
    (account_statement,),
    in_working_school=True,
)
# The bursar's changes the charges follow: régimes over time, closures of a service.
FINANCE_REGIMES = Destination(
    "finances",
    "Régimes des élèves",
    "/finances/regimes",
    (regime_enrollments,),
    in_working_school=True,
)
FINANCE_REGIME = Destination(
    "finances",
    "Régime d'un élève",
    "/finances/regimes/{enrollment_id:int}",
    (regime_sheet,),
    in_working_school=True,
)
SERVICE_CLOSURES = Destination(
    "finances",
    "Fermetures du service",
    "/finances/remises",
    (service_closures,),
    in_working_school=True,
)
JOURNAL = Destination(
    "journal",
    "Journal",
    "/journal",
    (audit_trail,),
    "Journal des accès et modifications",
    "Qui a consulté, exporté ou modifié quoi, et quand.",
)
DELEGATIONS = Destination(
    "delegations",
    "Délégations",
    "/delegations",
    (school_staff_rights,),
    "Délégations",
    "Les droits de chaque personnel de l'établissement.",
    in_working_school=True,
)
NOMENCLATURES = Destination(
    "nomenclatures",
    "Nomenclatures",
    "/nomenclatures",
    (school_nomenclature_profile,),
    "Nomenclatures de l'établissement",
    "Les MEF et matières proposés, et le MEF qui suit chacun l'an prochain.",
    in_working_school=True,
)
# The principal's switch of the school; the académie's of every school.
RENTREE = Destination(
    "rentree",
    "Rentrée",
    "/rentree",
    (rentree_state, academy_rentree_schools),
    "Rentrée",
    "Basculer sur l'année en préparation : clore l'année, les sortants, les télé-services.",
)
ACCOUNTS = Destination(
    "comptes",
    "Comptes",
    "/comptes",
    (manageable_accounts,),
    "Comptes des personnels",
    "Créer, suspendre ou réactiver un compte ; réinitialiser un second facteur.",
)
CLIENTS = Destination(
    "clients",
    "Clients de l'API",
    "/clients",
    (list_clients,),
    "Clients de l'API",
    "Les logiciels tiers (ENT, emplois du temps) autorisés à lire ou écrire des données.",
)
EXCHANGES = Destination(
    "echanges",
    "Échanges",
    "/echanges",
    (exchange_history,),
    "Échanges avec SIECLE et STS-WEB",
    "Importer les élèves, responsables et structures ; produire les exports ; historique.",
)
LIAISONS = Destination(
    "liaisons",
    "Liaisons",
    "/liaisons",
    (liaison_dashboard,),
    "Tableau de bord des liaisons",
    "Élèves envoyés à la base élèves académique pour un INE, immatriculations reçues, "
    "demandes en attente.",
)
PROBABLE_DUPLICATES = Destination(
    "liaisons", "Doublons probables", "/liaisons/doublons", (probable_duplicates,)
)
SCHOOLS = Destination(
    "etablissements",
    "Établissements",
    "/etablissements",
    (academy_schools,),
    "Établissements de l'académie",
    "Créer et modifier les établissements, et le premier chef d'établissement de chacun.",
)
SCHOOL_YEARS = Destination(
    "annees",
    "Années scolaires",
    "/annees",
    (create_school_year,),
    "Années scolaires",
    "Les années de l'académie, leurs dates, l'année en cours.",
)

# The main menu: one entry per key, the first allowed one (Absences, else Absentéisme).
MENU = (
    HOME,
    STUDENTS,
    STRUCTURES,
    PASSAGE,
    ABSENCES,
    ABSENTEEISM,
    GRADES,
    TELESERVICES,
    STATISTICS,
    HEADCOUNTS,
    FINANCES,
    SCHOLARSHIPS,
    SCHOLARSHIP_SUMMARY,
    EXCHANGES,
    LIAISONS,
    JOURNAL,
    DELEGATIONS,
    NOMENCLATURES,
    RENTREE,
    SCHOOLS,
    SCHOOL_YEARS,
    ACCOUNTS,
    CLIENTS,
)
# The home tiles: what a role does daily comes first.
TILES = (
    ROLL_CALL,
    ABSENCES,
    GRADES,
    FAMILIES_TO_CONTACT,
    TELESERVICES,
    STUDENTS,
    STRUCTURES,
    PASSAGE,
    ABSENTEEISM,
    STATISTICS,
    HEADCOUNTS,
    FINANCES,
    SCHOLARSHIPS,
    EXCHANGES,
    LIAISONS,
    JOURNAL,
    DELEGATIONS,
    NOMENCLATURES,
    RENTREE,
    SCHOOLS,
    SCHOOL_YEARS,
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
