"""The signed-in staff member's language, on every request.

`LocaleMiddleware` chooses a language before the user is known (language cookie, then
Accept-Language). For a signed-in member the saved preference wins, so a change made on another
device, or by the language menu, applies to the very next request and not only at sign-in.

A request without a session cookie has no signed-in member (the API's, a customer's first
visit): the user is not loaded for it, which the API's charges would otherwise pay on each call.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class MemberLanguageMiddleware:
    """Activate `request.user.language`; must come after `AuthenticationMiddleware`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = dict(settings.LANGUAGES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = getattr(user, "language", "")
            if language in self.languages:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
