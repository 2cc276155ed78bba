"""The demo's finances, so that the finance and scholarship screens show a real term: in every
school, the current year's default terms and the board's tariffs, the first term's charges,
remises, payments for about two thirds of the families, a dozen scholarship files at every
stage; in the first school, the first term's notices.

Unlike the rest of the demo, nothing here is a bulk insert: each step is the domain function
the bursar (``demo.gestionnaire`` in the first school, the principal elsewhere) or the
principal runs on the portal, inside the demo's transaction, so that every figure is what the
product itself computes and reconciles (charges prorated, remise de principe, allocations).
The audit log records those steps under their author, as it would.

The demo's day is the real date: the first term may not be over, so it is neither closed nor
transferred, and its scholarships are paid only once it is over.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.identities import load_principal
from api.auth.principal import Principal
from api.demo.model import Build, SchoolPlan
from api.demo.writer import Progress
from api.resolvers.finances.charges import apply_charges
from api.resolvers.finances.ledger import account_balances
from api.resolvers.finances.notices import issue_notices
from api.resolvers.finances.payments import PaymentMethod, ReceiptInput, record_receipt
from api.resolvers.finances.reductions import (
    GraceReductionInput,
    OrderMotive,
    OrderReductionInput,
    grant_grace_reduction,
    grant_order_reduction,
)
from api.resolvers.finances.tariffs import (
    SettingsInput,
    TariffInput,
    set_finance_settings,
    set_tariffs,
)
from api.resolvers.finances.terms import set_terms
from api.resolvers.scholarships.files import (
    FileInput,
    complete_file,
    create_file,
    grant_file,
    refuse_file,
    scholarship_kind,
)
from api.resolvers.scholarships.payments import pay_term
from api.resolvers.scholarships.scales import scale_for
from core import clock
from core.errors import ValidationFailed
from db.enrollments import Regime
from db.finances import Charge, ChargeKind, FinanceTerm, Reduction
from db.schools import SchoolKind

# What a school board votes, per term (the first, September to December, is the longest):
# the half-board's and the boarding's flat rates, and the meal of a DP 4 jours.
TARIFFS = {
    SchoolKind.COLLEGE: {
        "2": ("flat_term", ("235.00", "180.00", "165.00")),
        "3": ("flat_term", ("540.00", "415.00", "380.00")),
        "24": ("per_meal", ("3.60", "3.60", "3.60")),
    },
    "lycee": {
        "2": ("flat_term", ("265.00", "205.00", "185.00")),
        "3": ("flat_term", ("690.00", "530.00", "485.00")),
        "24": ("per_meal", ("4.05", "4.05", "4.05")),
    },
}
# Schools differ a little: this much more per rank of the school among three.
STEP = {"2": Decimal("5.00"), "3": Decimal("12.00"), "24": Decimal("0.10")}
# Half-boarders eating four days a week (SIECLE code 24) among the demo's half-boarders.
DP4_SHARE = 0.06
# Families who paid something by the demo's day.
PAYING_SHARE = 2 / 3
METHODS = (
    (PaymentMethod.CHEQUE, 0.35),
    (PaymentMethod.TRANSFER, 0.25),
    (PaymentMethod.SEPA_DEBIT, 0.20),
    (PaymentMethod.CARD, 0.15),
    (PaymentMethod.CASH, 0.05),
)
BANKS = ("Banque Postale", "Crédit Agricole", "Société Générale", "BNP Paribas", "LCL", "CIC")
ORDER_REDUCTIONS = 3
SCHOLARSHIP_FILES = 12
FUND_REASON = "Aide du fonds social, commission permanente du conseil d'administration"
REFUSAL = "Pièces justificatives non fournies malgré la relance de l'établissement."


@dataclass
class FinanceCounts:
    charges: int = 0
    receipts: int = 0
    reductions: int = 0
    scholarship_files: int = 0
    notices: int = 0


def plan_regime_codes(build: Build, rng: random.Random | None) -> None:
    """A few half-boarders of the current year eat four days a week (DP 4 jours): their
    enrolment carries the SIECLE code, the others keep none (their kind stands for it).
    Without ``rng``, none does."""
    for row in build.rows["enrollments"]:
        # Every row names the column: a batch is inserted with the columns of its first row.
        row["regime_code"] = (
            "24"
            if rng is not None
            and row["school_year_id"] == build.current_year_id
            and row.get("regime") is Regime.DEMI_PENSIONNAIRE
            and rng.random() < DP4_SHARE
            else None
        )


def _tariff_cells(school: SchoolPlan, term_ids: list[int]) -> list[TariffInput]:
    grid = TARIFFS[SchoolKind.COLLEGE if school.kind is SchoolKind.COLLEGE else "lycee"]
    cells = []
    for code, (basis, amounts) in grid.items():
        for term_id, amount in zip(term_ids, amounts, strict=True):
            price = Decimal(amount) + STEP[code] * (school.index % 3)
            cells.append(TariffInput(term_id, code, basis, f"{price:.2f}"))
    return cells


def _day_between(rng: random.Random, first: date, last: date) -> date:
    if last <= first:
        return first
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _method(rng: random.Random) -> PaymentMethod:
    return rng.choices([m for m, _ in METHODS], weights=[w for _, w in METHODS])[0]


def _receipt(
    rng: random.Random, account_id: int, balance: Decimal, received_on: date, uai: str
) -> ReceiptInput:
    """Most families pay what they owe; some a part (a payment in instalments), a few a
    little more (a credit for the next term)."""
    r = rng.random()
    if r < 0.70:
        amount = balance
    elif r < 0.93:
        amount = max(
            (balance * Decimal(rng.uniform(0.3, 0.7)) / 10).quantize(Decimal(1), ROUND_DOWN) * 10,
            Decimal("10.00"),
        )
    else:
        amount = balance + rng.choice((Decimal("20.00"), Decimal("30.00"), Decimal("50.00")))
    method = _method(rng)
    entry = ReceiptInput(account_id, method, amount.quantize(Decimal("0.01")), received_on)
    if method is PaymentMethod.CHEQUE:
        entry.cheque_number = f"{rng.randrange(10**6, 10**7)}"
        entry.bank = rng.choice(BANKS)
    elif method is PaymentMethod.SEPA_DEBIT:
        entry.reference = f"RUM-{uai}-{account_id:06d}"
    elif method is PaymentMethod.TRANSFER:
        entry.reference = f"VIR-{account_id:06d}"
    return entry


async def demo_principals(session: AsyncSession, build: Build) -> dict[str, Principal]:
    ids = {row["login"]: row["id"] for row in build.rows["staff_users"]}
    found: dict[str, Principal] = {}
    for account in build.accounts:
        if account.school_uai is None:
            continue
        principal = await load_principal(session, ids[account.login])
        assert principal is not None, account.login
        found[account.login] = principal
    return found


class _School:
    """One school's finances, written as its bursar and principal would."""

    def __init__(
        self,
        session: AsyncSession,
        build: Build,
        school: SchoolPlan,
        bursar: Principal,
        head: Principal,
        rng: random.Random,
        today: date,
        counts: FinanceCounts,
    ) -> None:
        self.session, self.build, self.school = session, build, school
        self.bursar, self.head, self.rng, self.today = bursar, head, rng, today
        self.counts = counts

    async def write(self, *, notices: bool) -> None:
        session, school, year_id = self.session, self.school, self.build.current_year_id
        terms = await set_terms(session, self.bursar, school.id, year_id)
        first = terms[0]
        start = self.build.start_year
        await set_finance_settings(
            session,
            self.bursar,
            school.id,
            year_id,
            SettingsInput(
                "service_days",
                "12345",
                14,
                f"Délibération du conseil d'administration n° {start}-07 du 30 juin {start}",
            ),
        )
        await set_tariffs(
            session, self.bursar, school.id, year_id, _tariff_cells(school, [t.id for t in terms])
        )
        applied = await apply_charges(session, self.bursar, first.id)
        self.counts.charges += applied.charges
        self.counts.reductions += applied.reductions
        await self._order_reductions(first)
        await self._grace_reduction(first)
        await self._receipts(first, applied.account_ids)
        await self._scholarships(first)
        if notices:
            issued = await issue_notices(session, self.bursar, first.id)
            self.counts.notices += len(issued.notices)

    async def _charged(self, term: FinanceTerm) -> list[tuple[int, int, ChargeKind]]:
        rows = await self.session.execute(
            select(Charge.account_id, Charge.student_id, Charge.kind)
            .where(Charge.concerns_term_id == term.id)
            .order_by(Charge.id)
        )
        return [(a, s, ChargeKind(k)) for a, s, k in rows.all()]

    async def _order_reductions(self, term: FinanceTerm) -> None:
        """A few absences of two or three weeks: illness when over by the demo's day, a work
        placement planned otherwise."""
        charged = await self._charged(term)
        for account_id, student_id, kind in self.rng.sample(
            charged, min(ORDER_REDUCTIONS, len(charged))
        ):
            first_day = term.first_day + timedelta(days=self.rng.choice((7, 14, 21, 63, 70, 77)))
            last_day = min(first_day + timedelta(days=self.rng.randint(13, 20)), term.last_day)
            motive = OrderMotive.ILLNESS if last_day < self.today else OrderMotive.WORK_PLACEMENT
            try:
                written = await grant_order_reduction(
                    self.session,
                    self.bursar,
                    OrderReductionInput(
                        account_id, student_id, motive, first_day, last_day, kind, None
                    ),
                )
            except ValidationFailed:
                # A span the service did not run (holidays) in some year's calendar: none.
                continue
            self.counts.reductions += len(written)

    async def _grace_reduction(self, term: FinanceTerm) -> None:
        """The principal halves one family's charge for the term, on the fund's advice: a
        child given no other remise, so that half is always left to remit."""
        reduced = set(
            await self.session.scalars(
                select(Reduction.student_id).where(Reduction.concerns_term_id == term.id)
            )
        )
        charged = [
            c
            for c in await self._charged(term)
            if c[2] is ChargeKind.HALF_BOARD and c[1] not in reduced
        ]
        if not charged:
            return
        account_id, student_id, kind = self.rng.choice(charged)
        due = await self.session.scalar(
            select(Charge.amount).where(
                Charge.account_id == account_id,
                Charge.student_id == student_id,
                Charge.concerns_term_id == term.id,
            )
        )
        amount = (Decimal(str(due)) / 2).quantize(Decimal("1"), ROUND_DOWN)
        if amount <= 0:
            return
        await grant_grace_reduction(
            self.session,
            self.head,
            GraceReductionInput(account_id, student_id, term.id, kind, amount, FUND_REASON),
        )
        self.counts.reductions += 1

    async def _receipts(self, term: FinanceTerm, account_ids: list[int]) -> None:
        balances = await account_balances(self.session, account_ids)
        last = min(self.today, term.last_day)
        for account_id in account_ids:
            balance = balances[account_id]
            if balance <= 0 or self.rng.random() >= PAYING_SHARE:
                continue
            # From the third week of the term, or its first day when the demo's day is
            # earlier than that.
            received_on = _day_between(
                self.rng, min(term.first_day + timedelta(days=14), last), last
            )
            await record_receipt(
                self.session,
                self.bursar,
                _receipt(self.rng, account_id, balance, received_on, self.school.uai),
            )
            self.counts.receipts += 1

    def _candidates(self) -> list[int]:
        """Students of the school this year, still there, with a legal guardian (who
        applies)."""
        legal = {
            row["student_id"]
            for row in self.build.rows["guardian_links"]
            if row["legal_rank"] is not None
        }
        return sorted(
            row["student_id"]
            for row in self.build.rows["enrollments"]
            if row["school_id"] == self.school.id
            and row["school_year_id"] == self.build.current_year_id
            and row.get("exit_date") is None
            and row["student_id"] in legal
        )

    async def _scholarships(self, term: FinanceTerm) -> None:
        """A dozen files: three received (a piece missing), three complete, four granted at
        various échelons, one refused by the table (income above échelon 1), one refused for
        missing pieces; the granted paid for the first term once it is over."""
        session, rng, year_id = self.session, self.rng, self.build.current_year_id
        scale = await scale_for(session, scholarship_kind(self.school.kind), self.build.start_year)
        candidates = self._candidates()
        if scale is None or not candidates:
            return
        chosen = rng.sample(candidates, min(SCHOLARSHIP_FILES, len(candidates)))
        first_day = date(self.build.start_year, 6, 1)
        echelons = sorted(scale.amounts)
        plan = ["received"] * 3 + ["complete"] * 3 + ["granted"] * 4 + ["above", "refused"]
        for student_id, stage in zip(chosen, plan, strict=False):
            children = rng.randint(1, 5)
            ceilings = scale.ceilings_for(children)
            if stage == "above":
                income = ceilings[1] + rng.randint(500, 6000)
            else:
                echelon = rng.choice(echelons)
                floor = ceilings.get(echelon + 1, Decimal(0))
                income = floor + (ceilings[echelon] - floor) * Decimal(rng.uniform(0.2, 0.9))
            pieces = ["tax_notice", "proof_of_address", "bank_details"]
            if stage in ("received", "refused"):
                pieces = ["tax_notice"]
            card = await create_file(
                session,
                self.bursar,
                self.school.id,
                year_id,
                student_id,
                FileInput(
                    received_on=_day_between(rng, first_day, self.today),
                    reference_income=f"{income:.2f}",
                    dependent_children=children,
                    pieces=pieces,
                ),
            )
            self.counts.scholarship_files += 1
            if stage == "refused":
                await refuse_file(session, self.head, card.id, REFUSAL, card.version)
                continue
            if stage == "received":
                continue
            card = await complete_file(session, self.bursar, card.id, card.version)
            if stage in ("granted", "above"):
                await grant_file(session, self.head, card.id, card.version)
        if term.last_day < self.today:
            await pay_term(session, self.bursar, self.school.id, term.id)


async def write_finances(
    session: AsyncSession,
    build: Build,
    seed: int,
    progress: Progress | None = None,
    principals: dict[str, Principal] | None = None,
) -> FinanceCounts:
    """Every school's first term, through the domain (see the module's docstring)."""
    # Its own generator: the rest of the demo is the same with or without its finances.
    rng = random.Random(f"finances-{seed}")
    # Never after the clock the domain reads (a date past it would be refused).
    today = min(build.today, clock.today())
    counts = FinanceCounts()
    if today < date(build.start_year, 9, 1):
        # A demo dated ahead of the clock, in a year not begun yet: no payment nor file can
        # be dated in it.
        return counts
    if principals is None:
        principals = await demo_principals(session, build)
    for school in build.schools:
        if school.index == 0:
            head, bursar = principals["demo.principal"], principals["demo.gestionnaire"]
        else:
            # The other schools have their principal only: he holds every right there.
            head = bursar = principals[f"principal.{school.uai.lower()}"]
        await _School(session, build, school, bursar, head, rng, today, counts).write(
            notices=school.index == 0
        )
        if progress is not None:
            progress("Finances", school.index + 1, len(build.schools))
    return counts
