"""The one base class for refusals: a rule of the business said no, and says why to the user.

Every app's error base (`LedgerError`, `AccessChangeRefused`, …) inherits from `Refusal`, so an
interface catches one class and shows `str(error)`: the message, translated in the reader's
language, with its `%(name)s` parameters filled in. `code` is stable for API clients. A refusal
raised inside a service's transaction rolls it back: nothing is left behind.
"""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Refusal(Exception):
    """Base class: `message` is translatable (lazy), `code` is stable for API clients."""

    code = "refused"
    default_message: str | Promise = _("The operation was refused.")

    def __init__(self, message: str | Promise | None = None, **params: Any) -> None:
        self.params = params
        self.message = message if message is not None else self.default_message
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text
