"""Money is ``Decimal`` in yuan with two places (fen); rounding happens once per line."""

from decimal import ROUND_HALF_UP, Decimal

MONEY_PLACES = Decimal("0.01")
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2


def to_money(value) -> Decimal:
    """Round a value to the fen, half up (the rule printed on Chinese utility bills)."""
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
