"""The balance chart of the Account tab: an inline SVG drawn on the server, no JavaScript.

A step line of end-of-day balances over the range, with the zero line, so a reader sees at a
glance when the customer went into debt and when they paid.

SVG coordinates are strings written here with a dot: a browser parses them, so they must never go
through the template's number localisation (French would write `12,5` and the line would vanish).
"""

import datetime as dt
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 140
PAD_X = 4
PAD_Y = 10


@dataclass(frozen=True)
class BalanceChart:
    width: int
    height: int
    path: str
    area_path: str
    zero_y: str
    lowest: int
    highest: int
    first_day: dt.date
    last_day: dt.date
    last_balance: int


def balance_chart(points: list[tuple[dt.date, int]]) -> BalanceChart | None:
    """Scale end-of-day balances into SVG coordinates; None when there is no day to draw."""
    if not points:
        return None
    balances = [balance for _day, balance in points]
    # The caption reports the real extremes; the scale also spans zero so the zero line shows.
    lowest, highest = min(balances), max(balances)
    bottom, top = min(lowest, 0), max(highest, 0)
    span = (top - bottom) or 1
    steps = max(len(points), 1)

    def x(index: int) -> float:
        return round(PAD_X + (WIDTH - 2 * PAD_X) * index / steps, 1)

    def y(balance: int) -> float:
        return round(PAD_Y + (HEIGHT - 2 * PAD_Y) * (top - balance) / span, 1)

    commands = [f"M{x(0)},{y(balances[0])}"]
    for index, balance in enumerate(balances):
        commands.append(f"H{x(index + 1)}")
        if index + 1 < len(balances) and balances[index + 1] != balance:
            commands.append(f"V{y(balances[index + 1])}")
    path = " ".join(commands)
    zero_y = f"{y(0)}"
    area = f"{path} V{zero_y} H{x(0)} Z"
    return BalanceChart(
        width=WIDTH,
        height=HEIGHT,
        path=path,
        area_path=area,
        zero_y=zero_y,
        lowest=lowest,
        highest=highest,
        first_day=points[0][0],
        last_day=points[-1][0],
        last_balance=balances[-1],
    )
