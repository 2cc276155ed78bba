"""French labels of the codes the portal shows (the code itself stays in English)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.resolvers.vocabulary import (
    ExitReason,
    PassageOutcome,
    Regime,
    Relationship,
    SchoolKind,
    SchoolSector,
    SchoolYearState,
    Sex,
)

SEX = {Sex.M: "Masculin", Sex.F: "Féminin"}
SEX_SHORT = {Sex.M: "M", Sex.F: "F"}


def entry_label(entry: Any) -> str:
    """A code of a nomenclature list as a form shows it: its edition label, else its long
    label (upper case in SIECLE) in sentence case."""
    label: str = entry.edition_label or entry.long_label.capitalize()
    return label


REGIME = {
    Regime.EXTERNE: "Externe",
    Regime.DEMI_PENSIONNAIRE: "Demi-pensionnaire",
    Regime.INTERNE: "Interne",
}

EXIT_REASON = {
    ExitReason.END_OF_CYCLE: "Fin de cycle",
    ExitReason.CHANGE_OF_SCHOOL: "Changement d'établissement",
    ExitReason.MOVE: "Déménagement",
    ExitReason.ORIENTATION: "Orientation",
    ExitReason.APPRENTICESHIP: "Apprentissage",
    ExitReason.WORK: "Entrée dans la vie active",
    ExitReason.HOME_SCHOOLING: "Instruction dans la famille",
    ExitReason.ABROAD: "Départ à l'étranger",
    ExitReason.OTHER: "Autre motif",
    ExitReason.END_OF_YEAR: "Fin d'année scolaire (poursuite dans l'établissement)",
}

RELATIONSHIP = {
    Relationship.MOTHER: "Mère",
    Relationship.FATHER: "Père",
    Relationship.SIBLING: "Frère ou sœur",
    Relationship.ASCENDANT: "Ascendant (grand-parent)",
    Relationship.OTHER_FAMILY_MEMBER: "Autre membre de la famille",
    Relationship.EDUCATOR: "Éducateur",
    Relationship.ASSISTANT_FAMILY: "Assistant familial",
    Relationship.ASE: "Aide sociale à l'enfance",
    Relationship.TUTOR: "Tuteur",
    Relationship.STUDENT_SELF: "Élève lui-même",
    Relationship.OTHER: "Autre lien",
}

SCHOOL_KIND = {
    SchoolKind.COLLEGE: "Collège",
    SchoolKind.LGT: "Lycée général et technologique",
    SchoolKind.LP: "Lycée professionnel",
    SchoolKind.EREA: "EREA",
}

SCHOOL_SECTOR = {
    SchoolSector.PUBLIC: "Public",
    SchoolSector.PRIVATE_UNDER_CONTRACT: "Privé sous contrat",
}

SCHOOL_YEAR_STATE = {
    SchoolYearState.IN_PREPARATION: "En préparation",
    SchoolYearState.CURRENT: "En cours",
    SchoolYearState.CLOSED: "Close",
}

COUNTRY = {"100": "France"}
PASSAGE_OUTCOME = {
    PassageOutcome.PROMOTED: "Passage en classe supérieure",
    PassageOutcome.REPEATING: "Redoublement",
    PassageOutcome.LEAVING: "Départ de l'établissement",
}


def responsibility(legal_rank: int | None) -> str:
    if legal_rank == 1:
        return "Représentant légal 1"
    if legal_rank == 2:
        return "Représentant légal 2"
    return "Autre responsable"


def country(code: str | None) -> str:
    if not code:
        return ""
    return COUNTRY.get(code, f"Pays (code INSEE {code})")


def label_of(mapping: Mapping[Any, str], value: object) -> str:
    if value is None:
        return ""
    return mapping.get(value, str(getattr(value, "value", value)))


# The columns the audit journal shows, by name (tests check every audited column has one).
FIELD_LABELS = {
    "academy_id": "Académie",
    # Finances and scholarships (issue 14).
    "term_id": "Trimestre",
    "concerns_term_id": "Trimestre concerné",
    "basis": "Base de calcul",
    "amount": "Montant",
    "proration_rule": "Règle de prorata",
    "service_weekdays": "Jours de service",
    "order_reduction_min_days": "Durée minimale d'une remise d'ordre (jours)",
    "board_decision": "Délibération du conseil d'administration",
    "closed_at": "Clos le",
    "closed_by_label": "Clos par",
    "effective_on": "À partir du",
    "host_school_id": "Établissement d'hébergement",
    "recorded_at": "Enregistré le",
    "children_elsewhere": "Enfants hébergés dans un autre établissement public",
    "applied_at": "Appliquée le",
    "lines": "Lignes",
    "charge_kind": "Nature de l'hébergement",
    "origin": "Origine",
    "motive": "Motif",
    "rate": "Taux (%)",
    "reason": "Motif détaillé",
    "generation_id": "Génération",
    "scholarship_payment_id": "Versement de bourse",
    "account_id": "Compte famille",
    "method": "Mode de paiement",
    "received_on": "Reçu le",
    "reference": "Référence",
    "reverses_payment_id": "Annule le paiement",
    "reverses_reduction_id": "Annule la remise",
    "balance": "Solde",
    "sent_at": "Envoyée le",
    "issued_at": "Émis le",
    "charges": "Droits constatés",
    "reductions": "Remises",
    "scholarships": "Bourses",
    "payments": "Paiements",
    "file_name": "Fichier",
    "total_charges": "Total des droits constatés",
    "total_reductions": "Total des remises",
    "total_payments": "Total des paiements",
    "file_id": "Dossier de bourse",
    "deducted": "Déduit des frais d'hébergement",
    "paid_to_family": "Versé à la famille",
    "paid_on": "Versé le",
    "applicant_id": "Demandeur",
    "reference_income": "Revenu fiscal de référence",
    "dependent_children": "Enfants à charge",
    "pieces": "Pièces reçues",
    "refusal_reason": "Motif du refus",
    "echelon": "Échelon",
    "annual_amount": "Montant annuel",
    "scale_year": "Barème de l'année",
    "decided_on": "Décidé le",
    "decided_by_label": "Décidé par",
    # The constat de rentrée (its taken_at is the roll call's "fait le").
    "counted_on": "Jour du constat",
    "actor_label": "Lancé par",
    "total": "Effectif",
    # School years and each school's profile by year (issue 13).
    "start_year": "Année de rentrée",
    "starts_on": "Début de l'année",
    "ends_on": "Fin de l'année",
    "state": "État",
    # The SIECLE and STS-WEB details kept since issue 12 (migration 0010).
    "accepts_sms": "Accepte les SMS",
    "contact_first": "À contacter en priorité",
    "election_modality": "Modalité d'élection",
    "elenoet": "Numéro élève de l'établissement (ELENOET)",
    "exit_motive_code": "Code du motif de sortie",
    "nationality_code": "Nationalité (code pays)",
    "previous_division_code": "Division de l'an dernier",
    "previous_mef_code": "MEF de l'an dernier",
    "profession_code": "Profession (code PCS)",
    "rank": "Rang",
    "receives_aid": "Perçoit les aides",
    "regime_code": "Code du régime",
    "repeating": "Redoublant",
    "responsibility_level": "Niveau de responsabilité",
    "status_code": "Statut de l'élève",
    "sts_id": "Identifiant STS-WEB",
    # The rentrée switch (issue 13); its actor_label is the constat's "Lancé par" above.
    "closed_enrollments": "Scolarités closes",
    "ended_accesses": "Accès aux télé-services fermés",
    "leavers": "Élèves sortants",
    "previous_year_id": "Année close",
    "switched_at": "Effectuée le",
    # Guardians' address columns before migration 0011: older journal entries name them.
    "address_line1": "Adresse",
    "address_line2": "Complément d'adresse",
    "address_id": "Adresse (n°)",
    "afternoon": "Après-midi",
    "assessment_id": "Évaluation",
    "birth_city": "Commune de naissance",
    "birth_commune_code": "Code INSEE de la commune de naissance",
    "birth_country_code": "Pays de naissance",
    "birth_date": "Date de naissance",
    "body": "Texte",
    "changed_at": "Dernière modification",
    "channel": "Canal",
    "city": "Commune",
    "civility": "Civilité",
    "client_id": "Identifiant du client",
    "code": "Code",
    "code_hash": "Empreinte du code",
    "coefficient": "Coefficient",
    "colour": "Couleur",
    "comment": "Commentaire",
    "commune_code": "Commune (code INSEE)",
    "contact_id": "Contact avec la famille",
    "country_code": "Pays",
    "created_by_id": "Créé par (n°)",
    "created_by_label": "Créé par",
    "day": "Jour",
    "decided_at": "Décidé le",
    "destination_name": "Établissement d'accueil",
    "destination_uai": "UAI de l'établissement d'accueil",
    "decided_by_id": "Décidé par (n°)",
    "display_name": "Nom affiché",
    "division_id": "Division",
    "document": "Document",
    "email": "Courriel",
    "end_date": "Date de fin",
    "end_slot_id": "Créneau de fin",
    "ends_at": "Heure de fin",
    "enrollment_id": "Scolarité",
    "entry_date": "Date d'entrée",
    "event_id": "Absence ou retard",
    "exit_date": "Date de sortie",
    "exit_reason": "Motif de sortie",
    "family_name": "Nom de famille",
    "first_day": "Premier jour",
    "first_name": "Prénom",
    "first_name_2": "Deuxième prénom",
    "first_name_3": "Troisième prénom",
    "for_absence": "Pour les absences",
    "for_lateness": "Pour les retards",
    "foreign_city": "Ville à l'étranger",
    "generic_motive_id": "Motif générique",
    "granted": "Accordé",
    "group_id": "Groupe",
    "guardian_id": "Responsable",
    "half_day": "Demi-journée",
    "holiday_zone": "Zone de vacances",
    "id": "Numéro",
    "ine": "INE",
    "invalidated_at": "Invalidé le",
    "is_active": "Actif",
    "is_open": "Ouvert",
    "is_valid": "Valide",
    "justification_id": "Justificatif",
    "justified_at": "Justifié le",
    "kind": "Nature",
    "label": "Libellé",
    "last_day": "Dernier jour",
    "legal_rank": "Rang de responsabilité légale",
    "letter_signature": "Signature des courriers",
    "line1": "Adresse, ligne 1",
    "line2": "Adresse, ligne 2",
    "line3": "Adresse, ligne 3",
    "line4": "Adresse, ligne 4",
    "lives_with": "Vit avec l'élève",
    "login": "Identifiant de connexion",
    "logo": "Logo",
    "lookup": "Clé de recherche du code",
    "mef_id": "MEF",
    "minutes_late": "Minutes de retard",
    "morning": "Matin",
    "motive_id": "Motif",
    "name": "Nom",
    "next_mef_id": "MEF de l'an prochain",
    "noted_by_id": "Saisi par (n°)",
    "noted_by_label": "Saisi par",
    "notified_at": "Notifié le",
    "outbox_message_id": "Message envoyé (n°)",
    "outcome": "Décision de passage",
    "password_hash": "Mot de passe",
    "pays_fees": "Paie les frais scolaires",
    "phone_home": "Téléphone domicile",
    "phone_mobile": "Téléphone portable",
    "phone_work": "Téléphone professionnel",
    "planned_headcount": "Effectif prévu",
    "postal_code": "Code postal",
    "previous_school_name": "Établissement d'origine",
    "previous_school_uai": "UAI de l'établissement d'origine",
    "private_key_encrypted": "Clé privée",
    "publication": "Publication",
    "published_on": "Publié le",
    "receives_mail": "Reçoit les courriers",
    "recipient": "Destinataire",
    "regime": "Régime",
    "relationship": "Lien de parenté",
    "requests_per_minute": "Requêtes par minute",
    "revoked_at": "Révoqué le",
    "right": "Droit",
    "role": "Profil",
    "scale": "Barème",
    "school_id": "Établissement",
    "school_year_id": "Année scolaire",
    "scopes": "Portées",
    "sealed_code": "Code chiffré",
    "second_factor_required": "Second facteur exigé",
    "secret_hash": "Secret",
    "service": "Service",
    "sessions": "Sessions fermées",
    "sex": "Sexe",
    "siecle_id": "Identifiant SIECLE",
    "slot_id": "Créneau",
    "source": "Origine de la saisie",
    "start_date": "Date de début",
    "start_slot_id": "Créneau de début",
    "starts_at": "Heure de début",
    "status": "Statut",
    "student_id": "Élève",
    "subject": "Objet",
    "subject_id": "Matière",
    "taken_at": "Appel fait le",
    "taken_by_id": "Appel fait par",
    "teacher_id": "Enseignant",
    "template_id": "Modèle de courrier",
    "title": "Intitulé",
    "totp_enrolled_at": "Second facteur enrôlé le",
    "totp_secret_encrypted": "Clé du second facteur",
    "usage_name": "Nom d'usage",
    "used_at": "Utilisé le",
    "user_id": "Compte",
    "value": "Valeur",
    "weekday": "Jour de la semaine",
}


def field_label(column: str) -> str:
    return FIELD_LABELS.get(column, column.replace("_", " ").capitalize())


# Coded values the journal shows by their label: column -> {recorded value: label}.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "outcome": {outcome.value: label for outcome, label in PASSAGE_OUTCOME.items()},
    "sex": {sex.value: label for sex, label in SEX.items()},
    "regime": {regime.value: label for regime, label in REGIME.items()},
    "exit_reason": {reason.value: label for reason, label in EXIT_REASON.items()},
    "relationship": {link.value: label for link, label in RELATIONSHIP.items()},
    "birth_country_code": COUNTRY,
    "country_code": COUNTRY,
}


def value_label(column: str, value: str) -> str:
    return VALUE_LABELS.get(column, {}).get(value, value)
