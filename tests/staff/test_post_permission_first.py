"""A forged request writes nothing: every POST route checks the permission before any write.

The routes come from Django's URL resolver (the `staff`, `exports` and `api_keys` namespaces), so
a new route is walked too. Each route is posted valid data (a control run with the permission proves
the same request would have written) by a member whose role holds every permission but the one
the route needs; the answer is 403 and the database is as it was (`tests.support`: every row of
every table, the task queue and the outbox). A route missing from the table is still posted, by
a member whose role holds no permission. The permission matrix (test_permission_matrix.py)
checks each built-in role; this checks the role that lacks exactly the one box.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ardoise.api.keys import create_api_key
from ardoise.api.models import ApiKey
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order, Product
from ardoise.ledger.models import Account
from ardoise.payments import services as payments
from ardoise.payments.models import Settlement
from ardoise.shops.models import Membership, Role, RoleKind, Shop
from ardoise.shops.permissions import ALL, Permission
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import Statement, StatementRun
from ardoise.statements.services import start_statement_run
from tests.factories import (
    UserFactory,
    client_for,
    key,
    make_account,
    make_member,
    make_shop,
    owner_of,
)
from tests.invoicing.builders import make_invoice, make_order
from tests.support import Snapshot, database_snapshot

pytestmark = pytest.mark.django_db

P = Permission

# Answer without a shop's permission by design: signing in and out, the language, passwords.
PUBLIC = {
    ":set_language",
    "staff:login",
    "staff:logout",
    "staff:set_language",
    "staff:password_reset",
    "staff:password_reset_done",
    "staff:password_reset_confirm",
    "staff:password_reset_complete",
}
# Pages any active member reads; they write nothing (checked below with a member of no shop).
MEMBER_ONLY = {"staff:home", "staff:settings"}


@dataclass
class World:
    shop: Shop
    account: Account
    order: Order
    invoice: Invoice
    settlement: Settlement
    product: Product
    statement: Statement
    run: StatementRun
    role: Role
    target: Membership
    api_key: ApiKey


def build_world() -> World:
    shop = make_shop(portal_enabled=True)
    owner = owner_of(shop)
    account = make_account(shop, name="Camille Martin", email="camille@example.fr")
    product = invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name="Tomates",
        unit="kg",
        unit_price=Decimal("4.2000"),
        vat_rate=Decimal("5.5"),
    )
    invoice = make_invoice(account)  # 60,00 €, open
    paid = make_invoice(account)
    settlement = payments.settle_invoice(
        invoice=paid, mode="cash", amount=paid.total, actor=owner, idempotency_key=key()
    )
    statement = issue_statement(account=account, actor=owner, idempotency_key=key())
    run = start_statement_run(shop=shop, minimum_debt=1, actor=owner, idempotency_key=key())
    return World(
        shop=shop,
        account=account,
        order=make_order(account),
        invoice=invoice,
        settlement=settlement,
        product=product,
        statement=statement,
        run=run,
        role=Role.objects.create(shop=shop, name="Till", permissions=["customers.view"]),
        target=Membership.objects.get(user=make_member(shop, RoleKind.ASSOCIATE)),
        api_key=create_api_key(
            membership=Membership.objects.get(shop=shop, user=owner),
            name="Till",
            scopes=["customers.view"],
        ).key,
    )


def database_state() -> Snapshot:
    return database_snapshot()


Data = Callable[[World], dict[str, Any]]
Url = Callable[[World], str]


def _none(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Forged:
    """A POST to `route` by a role holding everything but `lacking`."""

    route: str
    lacking: frozenset[str]
    url: Url
    data: Data = _none
    writes: bool = True  # with the permission, the same request writes (the control run)
    label: str = ""
    refusal: int = 403  # 405 for a route that takes no POST at all (the method is refused first)

    @property
    def name(self) -> str:
        return f"{self.route} without {'+'.join(sorted(self.lacking))}{self.label}"


def forged(route: str, *lacking: str, url: Url, data: Data = _none, **kw: Any) -> Forged:
    return Forged(route=route, lacking=frozenset(lacking), url=url, data=data, **kw)


def _customer_url(name: str, *extra: str) -> Url:
    return lambda w: reverse(name, args=[w.account.customer_id, *extra])


def _sale(action: str, **extra: str) -> Data:
    return lambda w: {
        "customer": str(w.account.customer_id),
        "idempotency_key": key(),
        "line-0-item": "Tomates",
        "line-0-quantity": "2",
        "action": action,
        **extra,
    }


def _receipt(w: World) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "mode": "cash",
        "amount": "10",
        "day": timezone.localdate().isoformat(),
        "reference": "",
        "idempotency_key": key(),
    }


def _adjustment(w: World) -> dict[str, Any]:
    return {"amount": "5", "reason": "Broken crate", "idempotency_key": key()}


def _customer_fields(w: World) -> dict[str, Any]:
    return {
        "name": "Léa Petit",
        "country": "FR",
        "language": "fr",
        "credit_limit": "",
        "no_limit": "on",
        "idempotency_key": key(),
    }


def _product_fields(w: World) -> dict[str, Any]:
    return {"name": "Courgettes", "unit": "kg", "unit_price": "3.10", "vat_rate": "5.5"}


def _statement_settings(w: World) -> dict[str, Any]:
    return {
        "statement_link_days": "14",
        "online_payment_max_amount": "500.00",
        "provider": "",
        "legal_name": "SARL Test",
        "email": "shop@example.com",
    }


def _invoice_settings(w: World) -> dict[str, Any]:
    return {
        "payment_tracking_enabled": "on",
        "accepted": ["cash", "transfer", "account"],
        "default_payment_mode": "transfer",
        "payment_terms_days": "15",
        "new_mode": "Titres-restaurant",
        "legal_name": "EARL",
    }


def _payments_cell(w: World) -> dict[str, Any]:
    return {
        "row": [str(w.invoice.pk)],
        f"amount-{w.invoice.pk}-cash": "10",
        f"version-{w.invoice.pk}-cash": "0",
        f"key-{w.invoice.pk}": key(),
    }


def _refund(mode: str) -> Data:
    return lambda w: {
        "amount": "10",
        "mode": mode,
        "to_account": "10",
        "reason": "Bruised",
        "idempotency_key": key(),
    }


def _charge_url(name: str) -> Url:
    return lambda w: reverse(name, args=[w.invoice.charge_id])


def _credit_url(name: str) -> Url:
    return lambda w: reverse(name, args=[w.settlement.credit_id])


def _statement_url(name: str) -> Url:
    return lambda w: reverse(name, args=[w.statement.pk])


FORGED = [
    forged(
        "staff:customer_list",
        P.CUSTOMERS_VIEW,
        url=lambda w: reverse("staff:customer_list"),
        writes=False,
    ),
    forged(
        "staff:credit_account_list",
        P.CUSTOMERS_VIEW,
        url=lambda w: reverse("staff:credit_account_list"),
        writes=False,
    ),
    forged(
        "staff:customer_account",
        P.CUSTOMERS_VIEW,
        url=_customer_url("staff:customer_account"),
        writes=False,
    ),
    forged(
        "staff:customer_create",
        P.CUSTOMERS_EDIT,
        url=lambda w: reverse("staff:customer_create"),
        data=_customer_fields,
    ),
    forged(
        "staff:customer_edit",
        P.CUSTOMERS_EDIT,
        url=_customer_url("staff:customer_edit"),
        data=_customer_fields,
    ),
    forged(
        "staff:customer_credit_limit",
        P.CUSTOMERS_CREDIT_LIMIT,
        url=_customer_url("staff:customer_credit_limit"),
        data=lambda w: {"credit_limit": "250", "idempotency_key": key()},
    ),
    forged(
        "staff:customer_deactivate",
        P.CUSTOMERS_CREDIT_LIMIT,
        url=_customer_url("staff:customer_deactivate"),
        data=lambda w: {"idempotency_key": key()},
    ),
    *[
        forged(
            "staff:customer_movement",
            permission,
            url=_customer_url("staff:customer_movement", kind),
            data=data,
            label=f" ({kind})",
        )
        for kind, permission, data in [
            ("payment", P.PAYMENTS_RECORD, _receipt),
            ("top-up", P.PAYMENTS_RECORD, _receipt),
            ("debit", P.ACCOUNTS_ADJUST, _adjustment),
            ("credit", P.ACCOUNTS_ADJUST, _adjustment),
        ]
    ],
    forged("staff:sale_list", P.SALES_VIEW, url=lambda w: reverse("staff:sale_list"), writes=False),
    forged(
        "staff:sale_new",
        P.SALES_CREATE,
        url=lambda w: reverse("staff:sale_new"),
        data=_sale("order"),
    ),
    # The point of issue 10: a role that takes orders but may not deliver creates no order.
    forged(
        "staff:sale_new",
        P.SALES_DELIVER,
        url=lambda w: reverse("staff:sale_new"),
        data=_sale("deliver"),
        label=" (deliver)",
    ),
    forged(
        "staff:sale_new",
        P.ACCOUNTS_OVERRIDE_LIMIT,
        url=lambda w: reverse("staff:sale_new"),
        data=_sale("deliver", override="1"),
        label=" (deliver with override)",
    ),
    forged(
        "staff:order_detail",
        P.SALES_VIEW,
        url=lambda w: reverse("staff:order_detail", args=[w.order.pk]),
        writes=False,
    ),
    forged(
        "staff:order_deliver",
        P.SALES_DELIVER,
        url=lambda w: reverse("staff:order_deliver", args=[w.order.pk]),
        data=lambda w: {"idempotency_key": key()},
    ),
    forged(
        "staff:order_deliver",
        P.ACCOUNTS_OVERRIDE_LIMIT,
        url=lambda w: reverse("staff:order_deliver", args=[w.order.pk]),
        data=lambda w: {"idempotency_key": key(), "override": "1"},
        label=" (override)",
    ),
    forged(
        "staff:order_cancel",
        P.SALES_DELIVER,
        url=lambda w: reverse("staff:order_cancel", args=[w.order.pk]),
        data=lambda w: {"reason": "Changed their mind"},
    ),
    forged(
        "staff:product_list",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:product_list"),
        data=_product_fields,
    ),
    forged(
        "staff:product_edit",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:product_edit", args=[w.product.pk]),
        data=_product_fields,
    ),
    forged(
        "staff:charge_detail", P.SALES_VIEW, url=_charge_url("staff:charge_detail"), writes=False
    ),
    forged(
        "staff:charge_settle",
        P.PAYMENTS_RECORD,
        url=_charge_url("staff:charge_settle"),
        data=lambda w: {
            "mode": "cash",
            "amount": "10",
            "expected_open": str(w.invoice.charge.open_amount),
            "idempotency_key": key(),
        },
    ),
    forged(
        "staff:charge_reverse",
        P.ACCOUNTS_REVERSE,
        url=_charge_url("staff:charge_reverse"),
        data=lambda w: {"reason": "Entered by mistake", "idempotency_key": key()},
    ),
    forged(
        "staff:credit_detail",
        P.CUSTOMERS_VIEW,
        url=_credit_url("staff:credit_detail"),
        writes=False,
    ),
    forged(
        "staff:credit_receipt",
        P.CUSTOMERS_VIEW,
        url=_credit_url("staff:credit_receipt"),
        writes=False,
    ),
    forged(
        "staff:credit_reverse",
        P.ACCOUNTS_REVERSE,
        url=_credit_url("staff:credit_reverse"),
        data=lambda w: {"reason": "Wrong customer", "idempotency_key": key()},
    ),
    forged(
        "staff:charge_refund",
        P.SALES_REFUND,
        P.SALES_REFUND_TO_ACCOUNT,
        url=_charge_url("staff:charge_refund"),
        data=_refund("account"),
    ),
    forged(
        "staff:charge_refund",
        P.SALES_REFUND_TO_ACCOUNT,
        url=_charge_url("staff:charge_refund"),
        data=_refund("account"),
        label=" (to the account)",
    ),
    forged(
        "staff:invoice_print", P.SALES_VIEW, url=_charge_url("staff:invoice_print"), writes=False
    ),
    forged("staff:invoice_pdf", P.SALES_VIEW, url=_charge_url("staff:invoice_pdf"), writes=False),
    forged("staff:receipt", P.SALES_VIEW, url=_charge_url("staff:receipt"), writes=False),
    forged(
        "staff:settlement_reverse",
        P.ACCOUNTS_REVERSE,
        url=lambda w: reverse("staff:settlement_reverse", args=[w.settlement.pk]),
        data=lambda w: {"reason": "Wrong mode", "idempotency_key": key()},
    ),
    forged(
        "staff:payments_week",
        P.PAYMENTS_RECORD,
        url=lambda w: reverse("staff:payments_week"),
        data=_payments_cell,
    ),
    forged(
        "staff:payments_row",
        P.PAYMENTS_RECORD,
        url=lambda w: reverse("staff:payments_row", args=[w.invoice.pk]),
        data=_payments_cell,
    ),
    forged(
        "staff:invoice_settings",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:invoice_settings"),
        data=_invoice_settings,
    ),
    forged("staff:exports", P.EXPORTS_RUN, url=lambda w: reverse("staff:exports"), writes=False),
    forged(
        "staff:statement_runs",
        P.STATEMENTS_SEND,
        url=lambda w: reverse("staff:statement_runs"),
        data=lambda w: {"minimum_debt": "1", "idempotency_key": key(), "include_recent": "on"},
    ),
    forged(
        "staff:statement_run_detail",
        P.STATEMENTS_SEND,
        url=lambda w: reverse("staff:statement_run_detail", args=[w.run.pk]),
        writes=False,
    ),
    forged(
        "staff:statement_run_resume",
        P.STATEMENTS_SEND,
        url=lambda w: reverse("staff:statement_run_resume", args=[w.run.pk]),
    ),
    forged(
        "staff:account_settings",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:account_settings"),
        data=lambda w: {"default_credit_limit": "200", "auto_allocate": "on"},
    ),
    forged(
        "staff:portal_settings",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:portal_settings"),
        data=lambda w: {"portal_enabled": "on", "top_up_minimum": "15"},
    ),
    forged(
        "staff:online_payment_settings",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:online_payment_settings"),
        writes=False,
    ),
    forged(
        "staff:payment_checks",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:payment_checks"),
        writes=False,
    ),
    forged(
        "staff:provider_account_save",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:provider_account_save", args=["stripe"]),
        data=lambda w: {"stripe-api_key": "sk_test_forged"},
    ),
    forged(
        "staff:provider_account_check",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:provider_account_check", args=["stripe"]),
        writes=False,
    ),
    forged(
        "staff:provider_account_remove",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:provider_account_remove", args=["stripe"]),
        writes=False,
    ),
    forged(
        "staff:customer_portal_invite",
        P.CUSTOMERS_EDIT,
        url=_customer_url("staff:customer_portal_invite"),
    ),
    forged(
        "staff:customer_portal_sign_out",
        P.CUSTOMERS_EDIT,
        url=_customer_url("staff:customer_portal_sign_out"),
    ),
    forged(
        "staff:audit_log",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:audit_log"),
        writes=False,
    ),
    forged(
        "staff:customer_apply_deposit",
        P.PAYMENTS_RECORD,
        url=_customer_url("staff:customer_apply_deposit"),
        data=lambda w: {"charges": [str(w.invoice.charge_id)], "idempotency_key": key()},
        writes=False,  # this world's shop applies deposits itself: none is left to apply
    ),
    forged(
        "staff:statement_settings",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("staff:statement_settings"),
        data=_statement_settings,
    ),
    forged(
        "staff:statement_preview",
        P.STATEMENTS_SEND,
        url=_customer_url("staff:statement_preview"),
        data=lambda w: {"email": "camille@example.fr", "action": "send", "idempotency_key": key()},
    ),
    forged(
        "staff:statement_detail",
        P.STATEMENTS_SEND,
        url=_statement_url("staff:statement_detail"),
        writes=False,
    ),
    forged(
        "staff:statement_send",
        P.STATEMENTS_SEND,
        url=_statement_url("staff:statement_send"),
        data=lambda w: {"email": "camille@example.fr", "idempotency_key": key()},
    ),
    forged(
        "staff:statement_print",
        P.STATEMENTS_SEND,
        url=_statement_url("staff:statement_print"),
        writes=False,
    ),
    forged(
        "staff:statement_pdf",
        P.STATEMENTS_SEND,
        url=_statement_url("staff:statement_pdf"),
        writes=False,
    ),
    forged(
        "staff:role_list", P.ROLES_MANAGE, url=lambda w: reverse("staff:role_list"), writes=False
    ),
    forged(
        "staff:role_create",
        P.ROLES_MANAGE,
        url=lambda w: reverse("staff:role_create"),
        data=lambda w: {"name": "Counter", "permissions": ["customers.view"]},
    ),
    forged(
        "staff:role_edit",
        P.ROLES_MANAGE,
        url=lambda w: reverse("staff:role_edit", args=[w.role.pk]),
        data=lambda w: {"name": "Till", "permissions": ["customers.view", "sales.view"]},
    ),
    forged(
        "staff:member_list",
        P.STAFF_MANAGE,
        url=lambda w: reverse("staff:member_list"),
        writes=False,
    ),
    forged(
        "staff:member_invite",
        P.STAFF_MANAGE,
        url=lambda w: reverse("staff:member_invite"),
        data=lambda w: {
            "email": "new@example.fr",
            "role": str(Role.objects.get(shop=w.shop, kind=RoleKind.ASSOCIATE).pk),
        },
    ),
    forged(
        "staff:member_role",
        P.STAFF_MANAGE,
        url=lambda w: reverse("staff:member_role", args=[w.target.pk]),
        data=lambda w: {"role": str(w.role.pk)},
    ),
    forged(
        "staff:member_active",
        P.STAFF_MANAGE,
        url=lambda w: reverse("staff:member_active", args=[w.target.pk]),
        data=lambda w: {"is_active": "0"},
    ),
    forged(
        "exports:payments",
        P.PAYMENTS_RECORD,
        url=lambda w: reverse("exports:payments"),
        data=lambda w: {"invoice": [str(w.invoice.pk)], "week": "2026-W01"},
        writes=False,
    ),
    forged(
        "exports:payments",
        P.EXPORTS_RUN,
        url=lambda w: reverse("exports:payments"),
        data=lambda w: {"invoice": [str(w.invoice.pk)], "week": "2026-W01"},
        writes=False,
        label=" (exports)",
    ),
    forged(
        "exports:sales_by_mode",
        P.EXPORTS_RUN,
        url=lambda w: reverse("exports:sales_by_mode") + "?start=2026-01-01&end=2026-01-31",
        writes=False,
        refusal=405,
    ),
    forged(
        "api_keys:key_list",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("api_keys:key_list"),
        data=lambda w: {"name": "Web shop", "scopes": ["customers.view"]},
    ),
    forged(
        "api_keys:key_revoke",
        P.SETTINGS_MANAGE,
        url=lambda w: reverse("api_keys:key_revoke", args=[w.api_key.pk]),
    ),
]


def _routes(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        else:
            yield f"{namespace}:{pattern.name}", pattern


def back_office_routes() -> dict[str, URLPattern]:
    routes = dict(_routes(get_resolver().url_patterns))
    return {
        name: pattern
        for name, pattern in routes.items()
        if name.split(":")[0] in {"staff", "exports", "api_keys"} and name not in PUBLIC
    }


def member_with(world: World, permissions: frozenset[str]) -> Client:
    role = Role.objects.create(
        shop=world.shop, name=f"Role {key()[:8]}", permissions=sorted(permissions)
    )
    user = UserFactory()
    Membership.objects.create(shop=world.shop, user=user, role=role)
    return client_for(user)


@pytest.mark.parametrize("case", FORGED, ids=lambda case: case.name)
def test_a_forged_post_without_the_permission_is_refused_and_writes_nothing(case: Forged) -> None:
    world = build_world()
    client = member_with(world, ALL - case.lacking)
    data = case.data(world)
    before = database_state()

    response = client.post(case.url(world), data)

    assert response.status_code == case.refusal
    assert database_state().changes_since(before) == {}


@pytest.mark.parametrize("case", [case for case in FORGED if case.writes], ids=lambda c: c.name)
def test_the_same_post_with_the_permission_writes(case: Forged) -> None:
    """The control: the data above is a request that writes, so the refusal is the check's."""
    world = build_world()
    client = member_with(world, ALL)
    before = database_state()

    response = client.post(case.url(world), case.data(world))

    assert response.status_code in {200, 302}, response.content[:500]
    assert database_state().changes_since(before) != {}


def test_every_back_office_route_is_walked() -> None:
    """Each route has its entry above (a route added without one still gets the generic walk
    below, and is listed here)."""
    walked = {case.route for case in FORGED} | MEMBER_ONLY
    assert sorted(set(back_office_routes()) - walked) == []


def _sample_url(pattern: URLPattern, name: str) -> str:
    kwargs = {key: "payment" if key == "kind" else 1 for key in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


def test_every_route_refuses_a_member_without_permissions_and_writes_nothing() -> None:
    world = build_world()
    nobody = member_with(world, frozenset())
    stranger = client_for(UserFactory())  # signed in, member of no shop
    before = database_state()
    answers = {}

    for name, pattern in back_office_routes().items():
        client = stranger if name in MEMBER_ONLY else nobody
        answers[name] = client.post(
            _sample_url(pattern, name), {"idempotency_key": key()}
        ).status_code

    assert {name: status for name, status in answers.items() if status not in {403, 405}} == {}
    assert database_state().changes_since(before) == {}
