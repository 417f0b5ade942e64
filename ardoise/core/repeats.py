"""What the back office and the portal share about a money form sent again: how long a second,
identical write is taken for the first one sent again, the field that says "yes, again", how
long ago the first one was made, and the cache headers that let Back restore a form page with
its key. Each interface decides what it asks (`staff.repeats`, `portal.repeats`)."""

import datetime as dt

from django.utils.translation import ngettext
from django.views.decorators.cache import cache_control

# How long an identical write is taken for the same one sent again.
WINDOW = dt.timedelta(minutes=10)
# Sent with the form (a box ticked, a button pressed): the write is made even with a twin.
CONFIRM_FIELD = "confirm_repeat"

# On every view that draws a money form. `no-store` (Django's `never_cache`) would keep Chromium
# from restoring the page, and its key, from its back/forward cache: Back would fetch it again
# with a new key. `private` keeps shared caches from storing a signed-in page; `no-cache` has
# every ordinary visit drawn afresh.
restorable = cache_control(private=True, no_cache=True)


def ago(elapsed: dt.timedelta) -> str:
    """`30 seconds`, `2 minutes`: how long ago, as precisely as a person needs it."""
    seconds = max(int(elapsed.total_seconds()), 1)
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = seconds // 60
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
