from decimal import Decimal

import pytest

from ardoise.invoicing.totals import LineError, compute_totals, vat_included
from tests.invoicing.builders import line


def test_lines_are_rounded_once_and_vat_once_per_rate() -> None:
    totals = compute_totals(
        [
            line("Tomates", "1.235", "4.9900", vat="5.5", unit="kg"),  # 6.16265 -> 6.16
            line("Courgettes", "0.5", "3.3333", vat="5.5", unit="kg"),  # 1.66665 -> 1.67
            line("Vin", "2", "12.50", vat="20"),  # 25.00
        ]
    )
    assert totals.line_amounts == [6_16, 1_67, 25_00]
    assert [(v.rate, v.total, v.vat_amount, v.net_amount) for v in totals.vat_lines] == [
        (Decimal("5.5"), 7_83, 41, 7_42),  # 783 x 5.5 / 105.5 = 40.82 -> 41
        (Decimal("20"), 25_00, 4_17, 20_83),  # 2500 x 20 / 120 = 416.67 -> 417
    ]
    assert (totals.net_amount, totals.vat_amount, totals.total) == (28_25, 4_58, 32_83)


def test_vat_included_of_zero_rate_is_zero() -> None:
    assert vat_included(12_34, Decimal("0")) == 0


@pytest.mark.parametrize(
    "bad",
    [
        line("Tomates", "0", "1.00"),
        line("Tomates", "1", "-1.00"),
        line("", "1", "1.00"),
    ],
)
def test_invalid_lines_are_refused(bad) -> None:
    with pytest.raises(LineError):
        compute_totals([bad])


def test_floats_are_refused() -> None:
    from ardoise.invoicing.totals import LineInput

    with pytest.raises(LineError):
        compute_totals([LineInput("x", 1.5, Decimal("1"), Decimal("5.5"))])  # type: ignore[arg-type]
