"""Amounts of money: ``Decimal`` euros to the cent, read from what people type and written
the French way. Never a float: a total must reconcile to the cent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import ValidationFailed

CENT = Decimal("0.01")
NARROW_SPACE = "\u202f"
ZERO = Decimal("0.00")
# The largest amount a ledger line holds (Numeric(12, 2)), far above any school fee.
MAX_AMOUNT = Decimal("9999999999.99")
_TYPED = re.compile(r"^-?\d{1,10}([.,]\d{1,2})?$")


def to_cents(amount: Decimal) -> Decimal:
    """Rounded to the cent, half away from zero (the public accounts' rule)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(
    value: str | Decimal | int, field: str, *, allow_negative: bool = False
) -> Decimal:
    """An amount as typed ("12,50", "12.5", "1 234,56 €"), or a ``ValidationFailed`` naming
    ``field``: more than two decimals is refused rather than rounded."""
    if isinstance(value, Decimal | int):
        text = str(value)
    else:
        text = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").rstrip("€")
    if not _TYPED.match(text):
        raise ValidationFailed.single(
            field, "INVALID_AMOUNT", "Montant invalide : un nombre d'euros, au plus deux décimales"
        )
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        raise ValidationFailed.single(field, "INVALID_AMOUNT", "Montant invalide") from None
    if amount < 0 and not allow_negative:
        raise ValidationFailed.single(field, "NEGATIVE_AMOUNT", "Le montant ne peut être négatif")
    if abs(amount) > MAX_AMOUNT:
        raise ValidationFailed.single(field, "AMOUNT_TOO_LARGE", "Montant trop élevé")
    return to_cents(amount)


def format_euros(amount: Decimal) -> str:
    """ "1 234,56 €" (narrow no-break spaces, as French typography wants)."""
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    whole, _, decimals = f"{abs(cents):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NARROW_SPACE.join(groups)},{decimals}\u00a0€"
