"""Refusals of the shop services (roles, staff members). `str()` is a message for the user."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from ardoise.core.errors import Refusal


class AccessChangeRefused(Refusal):
    """A change to roles or staff that would break a rule (lock-out, escalation, duplicate)."""

    code = "access_change_refused"
    default_message: Any = _("This change was refused.")
