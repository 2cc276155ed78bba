"""Routes of the staff portal, mounted at "/" by ``api.app.create_app``.

The portal renders its pages from the same domain functions (``api.resolvers``)
and permission checks as the GraphQL API. ``/graphql``, ``/api/...`` and
``/exports/...`` belong to the API and are not claimed here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from portals.common.assets import static_mounts
from portals.etablissement import (
    accounts,
    audit,
    clients,
    delegations,
    exchanges,
    finance_accounts,
    finance_notices,
    finance_regimes,
    finances,
    grades,
    guardians,
    headcounts,
    home,
    immatriculation,
    invitations,
    legal,
    login,
    nomenclatures,
    passage,
    rentree,
    scholarships,
    schooling,
    schools,
    second_factor,
    statistics,
    structures,
    student_creation,
    students,
    teaching,
    teleservices,
    transfers,
)
from portals.etablissement.absences import follow_up as absence_follow_up
from portals.etablissement.absences import grid as absence_grid
from portals.etablissement.absences import record as absence_record
from portals.etablissement.absences import roll_call as absence_roll_call
from portals.etablissement.absences import settings as absence_settings
from portals.etablissement.absences import statistics as absence_statistics
from portals.etablissement.rendering import OWN_URL, STATIC
from portals.etablissement.web import anonymous_error


def portal_routes() -> list[BaseRoute]:
    """Pages and static files of the staff portal.

    Raises ``AssetsMissing`` (with the ``npm ci`` hint) when the DSFR is not installed.
    """
    return [
        # Readable without signing in (the footer's mandatory links).
        Route("/accessibilite", legal.accessibility, methods=["GET"], name="accessibilite"),
        Route("/mentions-legales", legal.legal_notice, methods=["GET"], name="mentions-legales"),
        Route(
            "/donnees-personnelles",
            legal.personal_data,
            methods=["GET"],
            name="donnees-personnelles",
        ),
        Route(
            "/invitation/{token:str}",
            invitations.invitation,
            methods=["GET", "POST"],
            name="invitation",
        ),
        Route("/connexion", login.login_page, methods=["GET"], name="connexion"),
        Route("/connexion", login.login_submit, methods=["POST"]),
        Route("/deconnexion", login.logout, methods=["POST"], name="deconnexion"),
        Route(
            "/deconnexion-partout",
            login.logout_everywhere,
            methods=["POST"],
            name="deconnexion-partout",
        ),
        Route("/connexion/code", second_factor.code_page, methods=["GET", "POST"]),
        Route("/connexion/enrolement", second_factor.enrolment_at_login, methods=["GET", "POST"]),
        Route("/compte", second_factor.account, methods=["GET"], name="compte"),
        Route("/compte/cle-otp", second_factor.enrol, methods=["GET", "POST"]),
        Route("/compte/codes-de-secours", second_factor.renew_recovery_codes, methods=["POST"]),
        Route("/compte/exigence-otp", second_factor.require_everywhere, methods=["POST"]),
        Route("/comptes", accounts.accounts, methods=["GET", "POST"], name="comptes"),
        Route("/comptes/{user_id:int}/inviter", accounts.invite_again, methods=["POST"]),
        Route("/comptes/{user_id:int}/reinitialiser-otp", second_factor.reset, methods=["POST"]),
        Route("/comptes/{user_id:int}/{action:str}", accounts.account_state, methods=["POST"]),
        Route("/etablissements", schools.schools, methods=["GET"], name="etablissements"),
        Route("/etablissements/nouveau", schools.new_school, methods=["GET", "POST"]),
        Route("/etablissements/{school_id:int}", schools.edit_school, methods=["GET", "POST"]),
        Route("/etablissements/{school_id:int}/chef", schools.new_principal, methods=["POST"]),
        Route("/annees", schools.years, methods=["GET", "POST"], name="annees"),
        Route("/annees/preparer", schools.prepare_next_year, methods=["POST"]),
        Route("/annees/{year_id:int}/{action:str}", schools.year_state, methods=["POST"]),
        Route("/", home.home, methods=["GET"], name="accueil"),
        Route("/etablissement", home.choose_school, methods=["POST"], name="etablissement"),
        Route("/eleves", students.search, methods=["GET"], name="eleves"),
        Route(
            "/eleves/nouveau",
            student_creation.new_student,
            methods=["GET", "POST"],
            name="eleve-nouveau",
        ),
        Route("/eleves/arrivee", transfers.arrival, methods=["GET", "POST"]),
        Route("/eleves/{student_id:int}", students.record, methods=["GET"], name="eleve"),
        Route(
            "/eleves/{student_id:int}/modifier",
            students.edit,
            methods=["GET", "POST"],
            name="eleve-modifier",
        ),
        Route("/eleves/{student_id:int}/scolarite", schooling.schooling, methods=["GET", "POST"]),
        Route("/eleves/{student_id:int}/sortie", schooling.departure, methods=["GET", "POST"]),
        Route(
            "/eleves/{student_id:int}/sortie/annuler", schooling.undo_departure, methods=["POST"]
        ),
        Route(
            "/eleves/{student_id:int}/responsables/ajouter",
            guardians.add,
            methods=["GET", "POST"],
        ),
        Route(
            "/eleves/{student_id:int}/responsables/{link_id:int}",
            guardians.edit,
            methods=["GET", "POST"],
        ),
        Route(
            "/eleves/{student_id:int}/responsables/{link_id:int}/retirer",
            guardians.remove,
            methods=["GET", "POST"],
        ),
        Route("/eleves/{student_id:int}/certificat.pdf", schooling.certificate, methods=["GET"]),
        Route(
            "/eleves/{student_id:int}/fiche-renseignements.pdf", schooling.sheet, methods=["GET"]
        ),
        Route("/finances/comptes", finance_accounts.accounts, methods=["GET"]),
        Route("/finances/comptes/{account_id:int}", finance_accounts.account, methods=["GET"]),
        Route(
            "/finances/comptes/{account_id:int}/{action:str}",
            finance_accounts.account_action,
            methods=["POST"],
        ),
        Route("/divisions", structures.divisions, methods=["GET"], name="divisions"),
        Route("/divisions/nouvelle", structures.new_division, methods=["GET", "POST"]),
        Route("/divisions/reprendre", structures.copy_current_structures, methods=["POST"]),
        Route("/divisions/services", teaching.services, methods=["GET", "POST"], name="services"),
        Route(
            "/divisions/services/{assignment_id:int}/retrait",
            teaching.remove_service,
            methods=["POST"],
        ),
        Route("/divisions/enseignants", teaching.new_teacher, methods=["POST"]),
        Route("/divisions/enseignants/inviter", teaching.invite_teachers, methods=["POST"]),
        Route(
            "/divisions/{division_id:int}", structures.division, methods=["GET"], name="division"
        ),
        Route(
            "/divisions/{division_id:int}/modifier",
            structures.edit_division,
            methods=["GET", "POST"],
        ),
        Route(
            "/divisions/{division_id:int}/supprimer",
            structures.remove_division,
            methods=["POST"],
        ),
        Route(
            "/divisions/{division_id:int}/certificats.pdf",
            structures.certificates,
            methods=["GET"],
        ),
        Route(
            "/divisions/{division_id:int}/fiches-renseignements.pdf",
            structures.information_sheets,
            methods=["GET"],
        ),
        Route("/groupes/nouveau", structures.new_group, methods=["GET", "POST"]),
        Route("/groupes/{group_id:int}/modifier", structures.edit_group, methods=["GET", "POST"]),
        Route("/groupes/{group_id:int}/supprimer", structures.remove_group, methods=["POST"]),
        Route("/passage", passage.overview, methods=["GET"], name="passage"),
        Route("/passage/divisions/{division_id:int}", passage.division, methods=["GET", "POST"]),
        Route("/passage/sans-division", passage.undivided, methods=["GET", "POST"]),
        Route("/passage/placement", passage.placement, methods=["GET", "POST"]),
        Route("/passage/nouvel-eleve", passage.newcomer, methods=["GET", "POST"]),
        Route("/absences", absence_grid.grid, methods=["GET"], name="absences"),
        Route("/absences", absence_grid.record_entry, methods=["POST"]),
        Route("/absences/appel", absence_roll_call.roll_call, methods=["GET"]),
        Route("/absences/appel", absence_roll_call.take, methods=["POST"]),
        Route("/absences/suivi", absence_follow_up.search, methods=["GET"]),
        Route("/absences/parametres", absence_settings.settings_page, methods=["GET"]),
        Route("/absences/parametres/{part:str}", absence_settings.save_settings, methods=["POST"]),
        Route("/absences/statistiques", absence_statistics.statistics, methods=["GET"]),
        Route("/absences/a-contacter", absence_follow_up.to_contact, methods=["GET"]),
        Route("/absences/a-contacter", absence_follow_up.write_to_families, methods=["POST"]),
        Route("/absences/eleves/{student_id:int}", absence_record.record, methods=["GET"]),
        Route(
            "/absences/eleves/{student_id:int}/appel-telephonique",
            absence_record.phone_call,
            methods=["POST"],
        ),
        Route("/absences/evenements/{event_id:int}", absence_record.regularise, methods=["POST"]),
        Route("/notes", grades.classes, methods=["GET"], name="notes"),
        Route("/notes/classe", grades.assessments, methods=["GET"]),
        Route("/notes/classe/nouveau-devoir", grades.new_assessment, methods=["GET", "POST"]),
        Route("/notes/classe/moyennes", grades.averages, methods=["GET"]),
        Route("/notes/devoirs/{assessment_id:int}", grades.marks, methods=["GET", "POST"]),
        Route("/statistiques", statistics.statistics, methods=["GET"], name="statistiques"),
        Route("/finances", finances.home, methods=["GET"]),
        Route("/finances/parametres", finances.settings_page, methods=["GET"]),
        Route("/finances/parametres/regles", finances.save_settings, methods=["POST"]),
        Route("/finances/parametres/trimestres", finances.save_terms, methods=["POST"]),
        Route("/finances/tarifs", finances.tariffs_page, methods=["GET"]),
        Route("/finances/regimes", finance_regimes.regimes, methods=["GET"]),
        Route("/finances/regimes/{enrollment_id:int}", finance_regimes.regime, methods=["GET"]),
        Route("/finances/regimes/{enrollment_id:int}", finance_regimes.change, methods=["POST"]),
        Route("/finances/remises", finance_regimes.closures, methods=["GET"]),
        Route("/finances/remises", finance_regimes.close, methods=["POST"]),
        Route("/finances/tarifs", finances.save_tariffs, methods=["POST"]),
        Route("/finances/generation", finances.generation, methods=["GET"]),
        Route("/finances/generation/appliquer", finances.apply, methods=["POST"]),
        Route("/finances/generation/clore", finances.close, methods=["POST"]),
        Route("/finances/avis", finance_notices.notices, methods=["GET"]),
        Route("/finances/avis/emettre", finance_notices.issue, methods=["POST"]),
        Route(
            "/finances/avis/{notice_id:int}/avis.pdf",
            finance_notices.one_notice_pdf,
            methods=["GET"],
        ),
        Route(
            "/finances/avis/trimestres/{term_id:int}/avis.pdf",
            finance_notices.all_notices_pdf,
            methods=["GET"],
        ),
        Route("/finances/relances", finance_notices.reminders, methods=["GET"]),
        Route("/finances/relances/envoyer", finance_notices.send, methods=["POST"]),
        Route("/finances/transfert", finance_notices.transfer, methods=["GET"]),
        Route("/finances/transfert/envoyer", finance_notices.send_transfer, methods=["POST"]),
        Route(
            "/finances/transfert/{transfer_id:int}/fichier.csv",
            finance_notices.transfer_download,
            methods=["GET"],
        ),
        Route("/bourses", scholarships.files_page, methods=["GET"], name="bourses"),
        Route("/bourses/nouveau", scholarships.new_file, methods=["GET", "POST"]),
        Route("/bourses/boursiers", scholarships.scholars_page, methods=["GET"]),
        Route("/bourses/boursiers.csv", scholarships.scholars_csv, methods=["GET"]),
        Route("/bourses/etat", scholarships.summary_page, methods=["GET"]),
        Route("/bourses/versement", scholarships.payment_page, methods=["GET", "POST"]),
        Route("/bourses/{file_id:int}", scholarships.file_page, methods=["GET"]),
        Route("/bourses/{file_id:int}/decision.pdf", scholarships.letter_pdf, methods=["GET"]),
        Route("/bourses/{file_id:int}/{action:str}", scholarships.file_action, methods=["POST"]),
        Route("/constat", headcounts.constat, methods=["GET"], name="constat"),
        Route("/constat/lancer", headcounts.launch, methods=["POST"]),
        Route("/constat/eva", headcounts.evaluation_survey, methods=["POST"]),
        Route(
            "/constat/etablissements/{school_id:int}", headcounts.school_constat, methods=["GET"]
        ),
        Route("/constat/{snapshot_id:int}/constat.pdf", headcounts.constat_pdf, methods=["GET"]),
        Route("/teleservices", teleservices.home, methods=["GET"], name="teleservices"),
        Route("/teleservices", teleservices.save_services, methods=["POST"]),
        Route("/teleservices/code", teleservices.code, methods=["GET", "POST"]),
        Route("/teleservices/{who:str}", teleservices.accesses, methods=["GET"]),
        Route("/teleservices/{who:str}", teleservices.save_accesses, methods=["POST"]),
        Route(
            "/teleservices/{who:str}/notification",
            teleservices.notification,
            methods=["GET", "POST"],
        ),
        Route("/journal", audit.journal, methods=["GET"], name="journal"),
        Route("/clients", clients.clients, methods=["GET", "POST"], name="clients"),
        Route("/liaisons", immatriculation.dashboard, name="liaisons"),
        Route("/liaisons/doublons", immatriculation.duplicates),
        Route(
            "/liaisons/doublons/{duplicate_id:int}",
            immatriculation.settle,
            methods=["POST"],
        ),
        Route("/echanges", exchanges.history, name="echanges"),
        Route("/echanges/import", exchanges.upload, methods=["POST"]),
        Route("/echanges/export", exchanges.export, methods=["POST"]),
        Route("/echanges/{run_id:int}", exchanges.detail),
        Route("/echanges/{run_id:int}/appliquer", exchanges.apply, methods=["POST"]),
        Route("/echanges/{run_id:int}/rapport.csv", exchanges.report),
        Route("/echanges/{run_id:int}/fichier", exchanges.download),
        Route("/clients/{client_id:int}/{action:str}", clients.client_action, methods=["POST"]),
        Route(
            "/delegations",
            delegations.delegations,
            methods=["GET", "POST"],
            name="delegations",
        ),
        Route(
            "/nomenclatures",
            nomenclatures.nomenclatures,
            methods=["GET", "POST"],
            name="nomenclatures",
        ),
        Route("/rentree", rentree.rentree, methods=["GET", "POST"], name="rentree"),
        *static_mounts(OWN_URL, STATIC, "etablissement-static"),
    ]


async def _not_found(request: Request, exc: Exception) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return anonymous_error(
            404, "Page introuvable", "L'adresse demandée ne correspond à aucune page."
        )
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return PlainTextResponse(str(detail), status_code=404)


def portal_exception_handlers() -> dict[int, Callable[[Request, Exception], Awaitable[Response]]]:
    """Optional: a French DSFR page for unknown addresses asked by a browser (API clients,
    which do not accept text/html, keep the plain answer). Pass to ``Starlette(exception_handlers=...)``."""
    return {404: _not_found}
