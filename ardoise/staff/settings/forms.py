from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import form_field
from ardoise.shops.models import Role, RoleKind
from ardoise.shops.permissions import AREAS, Permission, area_of
from ardoise.staff.customers.forms import clean_limit, limit_fields


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=Permission.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        self.role = role
        if role is not None:
            kwargs.setdefault("initial", {"name": role.label, "permissions": role.permissions})
        super().__init__(*args, **kwargs)
        if role is not None and role.kind != RoleKind.CUSTOM:
            self.fields["name"].disabled = True

    @property
    def is_owner_role(self) -> bool:
        return self.role is not None and self.role.kind == RoleKind.OWNER

    def clean_permissions(self) -> list[str]:
        codes = list(self.cleaned_data["permissions"])
        # The box is shown checked and disabled: a disabled box is not submitted.
        if self.is_owner_role and Permission.ROLES_MANAGE not in codes:
            codes.append(Permission.ROLES_MANAGE.value)
        return codes

    def grid(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """The permission checkboxes grouped by area, in catalogue order."""
        chosen = set(self["permissions"].value() or [])
        areas = []
        for area, label in AREAS:
            boxes = [
                {
                    "code": code,
                    "label": name,
                    "checked": code in chosen
                    or (self.is_owner_role and code == Permission.ROLES_MANAGE),
                    "locked": self.is_owner_role and code == Permission.ROLES_MANAGE,
                }
                for code, name in Permission.choices
                if area_of(code) == area
            ]
            areas.append((label, boxes))
        return areas


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())

    def __init__(self, *args: Any, shop_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "role", forms.ModelChoiceField).queryset = Role.objects.filter(
            shop_id=shop_id
        ).order_by("id")


class MemberRoleForm(forms.Form):
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())

    def __init__(self, *args: Any, shop_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "role", forms.ModelChoiceField).queryset = Role.objects.filter(
            shop_id=shop_id
        ).order_by("id")


class MemberActiveForm(forms.Form):
    is_active = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )


class AccountSettingsForm(forms.Form):
    """Settings → Customer accounts. The default limit is an amount or, explicitly, none."""

    default_credit_limit, default_no_limit = limit_fields(
        help_text=_("Given to each customer created from now on; existing accounts keep theirs.")
    )
    auto_allocate = forms.BooleanField(
        label=_("Apply payments to the oldest open charges automatically"), required=False
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        clean_limit(self, "default_credit_limit", "default_no_limit")
        return self.cleaned_data
