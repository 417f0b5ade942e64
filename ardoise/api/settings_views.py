"""Settings → API: the shop's API keys, created (the secret shown once) and revoked.

A back-office page served by the api app (the back office and the API sit side by side and do
not import each other, as with exports): signed in, active in the current shop, with
`settings.manage`; a key's scopes are limited to the permissions the member's role holds.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.api.keys import SCOPES, KeyRefused, create_api_key, revoke_api_key
from ardoise.api.models import ApiKey
from ardoise.shops.access import current_membership
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission

View = Callable[..., HttpResponse]


def settings_member_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = current_membership(request)
        if membership is None or not membership.can(Permission.SETTINGS_MANAGE):
            raise PermissionDenied("settings.manage")
        return view(request, membership, *args, **kwargs)

    return wrapper


class NewKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Permissions"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(s.value, s.label) for s in SCOPES if membership.can(s)]


def _page(request: HttpRequest, membership: Membership, form: NewKeyForm, **extra: Any) -> Any:
    keys = ApiKey.objects.filter(shop_id=membership.shop_id).select_related("created_by")
    labels = dict(Permission.choices)
    rows = [(key, [labels.get(scope, scope) for scope in key.scopes]) for key in keys]
    context = {"keys": rows, "form": form, "nav": "settings", **extra}
    return render(request, "api/settings/keys.html", context, status=400 if form.errors else 200)


@settings_member_required
@require_http_methods(["GET", "POST"])
def key_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = NewKeyForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            new = create_api_key(
                membership=membership,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except KeyRefused as error:
            form.add_error(error.field, str(error))
        else:
            # The secret is shown on this response only: it is stored hashed.
            fresh = NewKeyForm(membership=membership)
            return _page(request, membership, fresh, new_key=new.key, secret=new.secret)
    return _page(request, membership, form)


@require_POST
@settings_member_required
def key_revoke(request: HttpRequest, membership: Membership, key_id: int) -> HttpResponse:
    key = ApiKey.objects.filter(shop_id=membership.shop_id, pk=key_id).first()
    if key is None:
        raise Http404("no such API key in this shop")
    revoke_api_key(membership=membership, key=key)
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": key.name})
    return redirect("api_keys:key_list")
