"""Refusals of the shop services (roles, staff members). `str()` is a message for the user."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class AccessChangeRefused(Exception):
    """A change to roles or staff that would break a rule (lock-out, escalation, duplicate)."""

    default_message: Any = _("This change was refused.")

    def __init__(self, message: Any = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)
