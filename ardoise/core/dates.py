"""The days Ardoise reads from a person or an address bar: bounded, so that no date arithmetic
(a week's Sunday, the day after a range) can leave what Python's dates hold (years 1 to 9999).

A shop's history starts well after 2000 and nothing is planned more than a couple of years
ahead; a date outside is clamped, never an error page.
"""

import datetime as dt

EARLIEST_DAY = dt.date(2000, 1, 1)
YEARS_AHEAD = 2


def latest_day(today: dt.date) -> dt.date:
    return today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))


def clamp_day(day: dt.date, today: dt.date) -> dt.date:
    """`day` inside [EARLIEST_DAY, today + YEARS_AHEAD years]."""
    return min(max(day, EARLIEST_DAY), latest_day(today))
