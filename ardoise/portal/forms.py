"""The portal's forms: asking for a sign-in link, the customer's settings, the history range."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PortalSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the portal and of your documents"),
        choices=[("", _("My browser's language")), *settings.LANGUAGES],
        required=False,
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("A new address changes once you open the link we send to it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
