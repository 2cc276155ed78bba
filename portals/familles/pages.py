"""Pages of the families portal: sign in, create an account from an activation code and the
child's birth date (then a login, a password and an e-mail), add further codes, see each
child's class, absences and published marks, sign out.

Forms are protected against cross-site posting (``portals.common.csrf``): a signed-in
member's forms carry his session's token; the anonymous ones (sign in, create an account) a
token also set in a cookie (double submit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from core.guess_counters import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    GuessPolicy,
    Key,
    Throttled,
)
from families.accounts import (
    COUNTERS,
    LINK_EXPIRED,
    AccountError,
    CodeAlreadyUsed,
    FamilyAccount,
    FamilySession,
    LoginTaken,
    attach_code_to,
    change_password,
    children,
    close_session,
    code_of_ticket,
    confirm_email,
    create_account,
    find_code,
    normalised,
    open_session,
    request_reset,
    reset_password,
    send_confirmation,
    session_of,
    sign_in,
    ticket,
)
from families.finances import finance_accounts, finance_notice
from families.school_life import school_life
from families.work import Transaction, Work
from portals.common import csrf
from portals.common.cookies import delete_cookie, set_cookie
from portals.common.redirects import redirect
from portals.familles.rendering import error_page, render

# A code typed with wrong birth dates: a few mistakes, then a long lock (the date is guessable).
CODE_POLICY = GuessPolicy(
    free_failures=3,
    first_delay=timedelta(seconds=5),
    max_delay=timedelta(minutes=1),
    lock_after=6,
    lock_for=timedelta(hours=1),
    forget_after=timedelta(days=1),
)
T = TypeVar("T")

SESSION_COOKIE = "sconet_familles"
# The token of an e-mail's link, moved out of its URL (see ``_token_out_of_url``).
LINK_TOKEN_COOKIE = "sconet_familles_lien"
LINK_TOKEN_LIFETIME = timedelta(minutes=15)
CSRF_COOKIE = "sconet_familles_csrf"
ANONYMOUS_FORMS = csrf.AnonymousForms(CSRF_COOKIE)
SERVICE_LABELS = {"absences": "absences", "grades": "notes"}


def _families(request: Request) -> Work:
    families: Work = request.app.state.families
    return families


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.cookie_secure)


def _anonymous_token(request: Request) -> str:
    return ANONYMOUS_FORMS.token(request)


def _with_anonymous_token(request: Request, response: Response, token: str) -> Response:
    return ANONYMOUS_FORMS.keep(request, response, token, secure=_secure(request))


async def _form(request: Request, expected: str | None) -> dict[str, str] | None:
    """The form's fields, or None when its CSRF token is missing or wrong."""
    form = await csrf.checked_form(request, expected)
    if form is None:
        return None
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


def _refused() -> Response:
    return csrf.refused(error_page)


async def _member(
    transaction: Transaction, request: Request
) -> tuple[FamilyAccount, FamilySession] | None:
    return await transaction.run(session_of, request.cookies.get(SESSION_COOKIE))


def _signed_in(request: Request, token: str) -> Response:
    response = redirect("/enfants")
    set_cookie(response, SESSION_COOKIE, token, secure=_secure(request))
    return response


def _address(request: Request) -> str:
    return request.client.host if request.client else "inconnue"


async def _guess(
    request: Request,
    keys: list[tuple[Key, GuessPolicy]],
    attempt: Callable[[Transaction], Awaitable[T]],
    counted: type[AccountError] = AccountError,
) -> T:
    """Run a guess (a code, a password) unless its keys are blocked; a wrong one (a
    ``counted`` refusal) is counted in a transaction of its own, so that it stays counted."""
    families = _families(request)
    async with families.transaction() as transaction:
        await transaction.run(COUNTERS.ensure_not_blocked, keys)
    try:
        async with families.transaction() as transaction:
            return await attempt(transaction)
    except counted:
        async with families.transaction() as transaction:
            await transaction.run(COUNTERS.record_failure, keys)
        raise


def _refusal(exc: AccountError | Throttled, throttled_field: str) -> tuple[int, str, str]:
    """A refused guess as (status, field, message): 429 and the wait when throttled, else 400
    and the account error's own field and message."""
    if isinstance(exc, Throttled):
        return 429, throttled_field, exc.message_fr
    return 400, exc.field, exc.message


def _code_keys(request: Request, typed: str) -> list[tuple[Key, GuessPolicy]]:
    code = normalised(typed) or typed.strip().upper()[:40]
    return [
        (Key("familles-code", code), CODE_POLICY),
        (Key("familles-address", _address(request)), ADDRESS_POLICY),
    ]


def _day(raw: str | None) -> date | None:
    """A day typed JJ/MM/AAAA (or sent AAAA-MM-JJ), or None."""
    typed = (raw or "").strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(typed)
        except ValueError:
            continue
    return None


def _unfilled(form: dict[str, str]) -> dict[str, str]:
    """What is missing from a code's form (an empty code, no valid birth date), told per field
    before anything is looked up: an empty field is no guess, and telling it tells nothing."""
    missing = {}
    if not form.get("code", "").strip():
        missing["code"] = "Saisissez le code d'activation."
    if _day(form.get("naissance")) is None:
        missing["naissance"] = "Saisissez la date de naissance complète de l'élève (JJ/MM/AAAA)."
    return missing


async def home(request: Request) -> Response:
    async with _families(request).transaction() as transaction:
        if await _member(transaction, request):
            return redirect("/enfants")
    token = _anonymous_token(request)
    return _with_anonymous_token(
        request, render("home.html", csrf=token, error="", login="", member=None), token
    )


async def login(request: Request) -> Response:
    form = await _form(request, request.cookies.get(CSRF_COOKIE))
    if form is None:
        return _refused()
    login_name = form.get("login", "").strip().lower()
    keys = [
        (Key("familles-login", login_name), ACCOUNT_POLICY),
        (Key("familles-address", _address(request)), ADDRESS_POLICY),
    ]

    async def attempt(transaction: Transaction) -> str:
        _account, token = await transaction.run(sign_in, login_name, form.get("password", ""))
        await transaction.run(COUNTERS.record_success, [keys[0][0]])
        return token

    try:
        token = await _guess(request, keys, attempt)
    except (AccountError, Throttled) as exc:
        status, _field, message = _refusal(exc, "login")
        return render(
            "home.html",
            status,
            csrf=request.cookies.get(CSRF_COOKIE),
            error=message,
            login=form.get("login", ""),
            member=None,
        )
    return _signed_in(request, token)


async def logout(request: Request) -> Response:
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        if member is None:
            return redirect("/")
        form = await _form(request, member[1].csrf_token)
        if form is None:
            return _refused()
        await transaction.run(close_session, member[1])
    response = redirect("/")
    delete_cookie(response, SESSION_COOKIE, secure=_secure(request))
    return response


async def create(request: Request) -> Response:
    """GET: step 1; POST step 1 (code and birth date) shows step 2; POST step 2 opens the
    account and signs in."""
    token = _anonymous_token(request)
    secret = request.app.state.settings.secret_key
    if request.method == "GET":
        return _with_anonymous_token(
            request,
            render("create.html", csrf=token, step=1, error={}, values={}, member=None),
            token,
        )
    form = await _form(request, request.cookies.get(CSRF_COOKIE))
    if form is None:
        return _refused()
    if "ticket" not in form:
        typed, born = form.get("code", ""), _day(form.get("naissance"))
        unfilled = _unfilled(form)
        if unfilled:
            return render(
                "create.html",
                400,
                csrf=token,
                step=1,
                error=unfilled,
                values=form,
                member=None,
            )
        try:
            code = await _guess(
                request,
                _code_keys(request, typed),
                lambda transaction: transaction.run(find_code, typed, born),
            )
        except (AccountError, Throttled) as exc:
            status, field, message = _refusal(exc, "code")
            return render(
                "create.html",
                status,
                csrf=token,
                step=1,
                error={field: message},
                values=form,
                member=None,
            )
        return render(
            "create.html",
            csrf=token,
            step=2,
            error={},
            values={},
            ticket=ticket(secret, code.id),
            member=None,
        )
    code_id = code_of_ticket(secret, form["ticket"])
    if code_id is None:
        return render(
            "create.html",
            400,
            csrf=token,
            step=1,
            error={"code": "La vérification du code a expiré : saisissez-le de nouveau."},
            values={},
            member=None,
        )

    async def attempt(transaction: Transaction) -> str:
        account = await transaction.run(
            create_account,
            code_id,
            form.get("login", ""),
            form.get("password", ""),
            form.get("confirmation", ""),
            form.get("email", ""),
        )
        await transaction.run(
            send_confirmation, account, request.app.state.settings.families_address
        )
        return await transaction.run(open_session, account)

    # A taken login is told, so step 2 is a guess of which logins exist: those refusals count
    # (a refused password, checked before, tells nothing and is not held against the parent).
    keys = [
        (Key("familles-ticket", str(code_id)), ACCOUNT_POLICY),
        (Key("familles-address", _address(request)), ADDRESS_POLICY),
    ]
    try:
        session_token = await _guess(request, keys, attempt, counted=LoginTaken)
    except CodeAlreadyUsed as exc:
        return render(
            "create.html",
            400,
            csrf=token,
            step=1,
            error={"code": exc.message},
            values={},
            member=None,
        )
    except (AccountError, Throttled) as exc:
        status, field, message = _refusal(exc, "login")
        return render(
            "create.html",
            status,
            csrf=token,
            step=2,
            error={field: message},
            values=form,
            ticket=form["ticket"],
            member=None,
        )
    return _signed_in(request, session_token)


async def family(request: Request) -> Response:
    """GET /enfants: the account's children."""
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        if member is None:
            return redirect("/")
        found = await transaction.run(children, member[0])
        return render(
            "children.html",
            children=found,
            labels=SERVICE_LABELS,
            member=member,
        )


async def add_code(request: Request) -> Response:
    """GET/POST /ajouter-un-code: attach a further child's code to the account."""
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
    if member is None:
        return redirect("/")
    account, session = member
    if request.method == "GET":
        return render("attach.html", error={}, values={}, member=member)
    form = await _form(request, session.csrf_token)
    if form is None:
        return _refused()
    typed, born = form.get("code", ""), _day(form.get("naissance"))
    unfilled = _unfilled(form)
    if unfilled:
        return render("attach.html", 400, error=unfilled, values=form, member=member)
    keys = [*_code_keys(request, typed), (Key("familles-account", str(account.id)), ACCOUNT_POLICY)]

    async def attempt(transaction: Transaction) -> None:
        await transaction.run(attach_code_to, account.id, typed, born)

    try:
        await _guess(request, keys, attempt)
    except CodeAlreadyUsed:
        return render(
            "attach.html",
            400,
            error={"code": "Ce code est déjà rattaché à un compte, le vôtre ou un autre."},
            values=form,
            member=member,
        )
    except (AccountError, Throttled) as exc:
        status, _field, message = _refusal(exc, "code")
        return render(
            "attach.html",
            status,
            error={"code": message},
            values=form,
            member=member,
        )
    return redirect("/enfants")


async def child(request: Request) -> Response:
    """GET /enfants/{id}: a child's class, absences and published marks."""
    child_id: int = request.path_params["child_id"]
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        if member is None:
            return redirect("/")
        life = await transaction.run(school_life, member[0], child_id)
        if life is None:
            return error_page(
                404,
                "Page introuvable",
                "Cet élève n'est pas rattaché à votre compte.",
                member=member,
            )
        return render(
            "child.html",
            child=life.child,
            absences=life.absences,
            marks=life.marks,
            member=member,
        )


async def finances(request: Request) -> Response:
    """GET /situation-financiere: the payer's accounts in the schools, their balance and the
    terms' notices."""
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        if member is None:
            return redirect("/")
        accounts = await transaction.run(finance_accounts, member[0])
        return render("finances.html", accounts=accounts, member=member)


async def notice(request: Request) -> Response:
    """GET /situation-financiere/avis/{id}: one notice alone, to print."""
    notice_id: int = request.path_params["notice_id"]
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        if member is None:
            return redirect("/")
        found = await transaction.run(finance_notice, member[0], notice_id)
        if found is None:
            return error_page(
                404,
                "Page introuvable",
                "Cet avis ne concerne pas les comptes rattachés à votre compte.",
                member=member,
            )
        return render("notice.html", account=found[0], notice=found[1], member=member)


def _token_out_of_url(request: Request) -> Response | None:
    """The e-mail's link carries its token in the query, which servers and proxies log and
    browsers keep in their history: the first GET moves it into a cookie that only this
    path receives, for a few minutes, and sends the browser to the same path without it.

    SameSite=Lax, not Strict: the link is followed from a webmail, another site, and a
    browser withholds Strict cookies from every request of a navigation started elsewhere,
    the redirect included, so the page would never see its token. Lax still keeps the
    cookie off cross-site POSTs, and only GETs of these two paths receive it."""
    jeton = request.query_params.get("jeton")
    if jeton is None:
        return None
    response = redirect(request.url.path)
    set_cookie(
        response,
        LINK_TOKEN_COOKIE,
        jeton,
        secure=_secure(request),
        path=request.url.path,
        max_age=int(LINK_TOKEN_LIFETIME.total_seconds()),
    )
    return response


def _link_token(request: Request) -> str:
    return request.cookies.get(LINK_TOKEN_COOKIE, "")


def _forget_link_token(request: Request, response: Response) -> Response:
    delete_cookie(response, LINK_TOKEN_COOKIE, secure=_secure(request), path=request.url.path)
    return response


def _expired_link(request: Request, message: str) -> Response:
    return _forget_link_token(request, error_page(400, "Lien expiré", message))


async def confirm(request: Request) -> Response:
    """GET /confirmer?jeton=: the link of the confirmation e-mail (the token then comes back
    in a cookie)."""
    moved = _token_out_of_url(request)
    if moved is not None:
        return moved
    async with _families(request).transaction() as transaction:
        try:
            await transaction.run(confirm_email, _link_token(request))
        except AccountError as exc:
            return _expired_link(request, exc.message)
    return _forget_link_token(
        request,
        render(
            "message.html",
            title="Adresse confirmée",
            message="Votre adresse électronique est confirmée : elle vous servira si vous "
            "oubliez votre mot de passe.",
            member=None,
        ),
    )


async def forgotten(request: Request) -> Response:
    """GET/POST /mot-de-passe-oublie: a reset link by e-mail (the same answer for anyone)."""
    token = _anonymous_token(request)
    if request.method == "GET":
        return _with_anonymous_token(
            request, render("forgotten.html", csrf=token, error={}, values={}, member=None), token
        )
    form = await _form(request, request.cookies.get(CSRF_COOKIE))
    if form is None:
        return _refused()
    if not form.get("qui", "").strip():
        return render(
            "forgotten.html",
            400,
            csrf=token,
            error={"qui": "Saisissez votre identifiant ou votre adresse électronique."},
            values=form,
            member=None,
        )
    keys = [(Key("familles-reset", _address(request)), ADDRESS_POLICY)]
    async with _families(request).transaction() as transaction:
        try:
            await transaction.run(COUNTERS.ensure_not_blocked, keys)
        except Throttled as exc:
            return render(
                "forgotten.html",
                429,
                csrf=token,
                error={"qui": exc.message_fr},
                values=form,
                member=None,
            )
        # Every request counts: it sends mail, so it is limited like a guess.
        await transaction.run(COUNTERS.record_failure, keys)
        await transaction.run(
            request_reset, form.get("qui", ""), request.app.state.settings.families_address
        )
    return render(
        "message.html",
        title="Demande enregistrée",
        message="Si un compte correspond, avec une adresse électronique confirmée, un courriel "
        "vient d'y être envoyé avec un lien valable une heure.",
        member=None,
    )


async def new_password(request: Request) -> Response:
    """GET/POST /nouveau-mot-de-passe?jeton=: choose a new password from the link (the token
    then comes back in a cookie)."""
    moved = _token_out_of_url(request)
    if moved is not None:
        return moved
    if not _link_token(request):
        return _expired_link(request, LINK_EXPIRED)
    token = _anonymous_token(request)
    if request.method == "GET":
        return _with_anonymous_token(
            request, render("new_password.html", csrf=token, error={}, member=None), token
        )
    form = await _form(request, request.cookies.get(CSRF_COOKIE))
    if form is None:
        return _refused()
    try:
        async with _families(request).transaction() as transaction:
            await transaction.run(
                reset_password,
                _link_token(request),
                form.get("password", ""),
                form.get("confirmation", ""),
            )
    except AccountError as exc:
        return render(
            "new_password.html", 400, csrf=token, error={exc.field: exc.message}, member=None
        )
    return _forget_link_token(
        request,
        render(
            "message.html",
            title="Mot de passe changé",
            message="Votre nouveau mot de passe est enregistré : connectez-vous avec lui.",
            member=None,
        ),
    )


async def account_page(request: Request) -> Response:
    """GET/POST /compte: the account's address, and changing the password."""
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        if member is None:
            return redirect("/")
        account, session = member
        error: dict[str, str] = {}
        saved = False
        if request.method == "POST":
            form = await _form(request, session.csrf_token)
            if form is None:
                return _refused()
            try:
                await transaction.run(
                    change_password,
                    session,
                    account,
                    form.get("current", ""),
                    form.get("password", ""),
                    form.get("confirmation", ""),
                )
                saved = True
            except AccountError as exc:
                error = {exc.field: exc.message}
        return render(
            "account.html",
            400 if error else 200,
            member=member,
            error=error,
            saved=saved,
        )


# The footer's mandatory pages (accessibility statement, legal notice, personal data).
INFORMATION_PAGES = {
    "/accessibilite": "accessibility.html",
    "/mentions-legales": "legal_notice.html",
    "/donnees-personnelles": "personal_data.html",
}


async def information(request: Request) -> Response:
    """GET one of ``INFORMATION_PAGES``, with the member's menu when he is signed in."""
    async with _families(request).transaction() as transaction:
        member = await _member(transaction, request)
        return render(INFORMATION_PAGES[request.url.path], member=member)
