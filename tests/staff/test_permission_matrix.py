"""The permission matrix: every back-office URL × every built-in role and a custom role.

The URLs come from Django's resolver (every pattern under the `staff:`, `exports:` and `api_keys:`
namespaces), and `ROUTES` must name each of them: a new URL that the matrix does not cover fails
`test_the_matrix_covers_every_back_office_url`. For each URL, `ROUTES` says how to build its
arguments, which methods it serves with which data, the permissions each needs, and the status a
member who holds them gets. The expected answer for a role comes from its permissions in the
catalogue (`BUILT_IN_ROLES`, or the custom role's boxes), so a change to a role's defaults or to
a view's permission shows here. A refused POST writes nothing. Every URL with an id answers 404
for another shop's id, even to that shop's owner, and writes nothing.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from ardoise.api.keys import create_api_key
from ardoise.api.models import ApiKey
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order, Product
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.payments import services as payments
from ardoise.payments.models import Settlement
from ardoise.shops.models import Membership, Role, RoleKind, Shop, User
from ardoise.shops.permissions import BUILT_IN_ROLES, Permission
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import Statement, StatementRun
from ardoise.statements.services import start_statement_run
from tests.factories import client_for, key, make_account, make_member, make_shop, owner_of
from tests.invoicing.builders import line, make_invoice, make_order
from tests.support import database_snapshot, nothing_written

pytestmark = pytest.mark.django_db

BACK_OFFICE_NAMESPACES = ("staff", "exports", "api_keys")

# Pages for visitors who are not signed in (sign-in, password reset, language): no role applies.
PUBLIC = {
    "staff:login",
    "staff:logout",
    "staff:set_language",
    "staff:password_reset",
    "staff:password_reset_done",
    "staff:password_reset_confirm",
    "staff:password_reset_complete",
}

# The custom role of the matrix: boxes from several areas, so that a view needing two
# permissions (the payments export) or one of two (refunds) is tested against a partial set.
CUSTOM_PERMISSIONS = frozenset(
    {
        Permission.CUSTOMERS_VIEW,
        Permission.SALES_VIEW,
        Permission.PAYMENTS_RECORD,
        Permission.EXPORTS_RUN,
        Permission.STATEMENTS_SEND,
    }
)
CUSTOM = "custom"
ROLES = [RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER, RoleKind.ASSOCIATE, CUSTOM]


@dataclass
class World:
    shop: Shop
    account: Account
    role: Role  # a custom role others act on ("Cashier": customers.view)
    target: Membership  # an associate others act on
    product: Product
    order: Order  # not delivered yet (5 €)
    invoice: Invoice  # 60 €, 10 € settled in cash
    settlement_id: int
    statement: Statement
    run: StatementRun
    api_key: ApiKey


def build_world() -> World:
    shop = make_shop(default_credit_limit=300_00, portal_enabled=True)
    account = make_account(shop, credit_limit=100_00, name="Camille Martin")
    role = Role.objects.create(shop=shop, name="Cashier", permissions=["customers.view"])
    target = Membership.objects.get(user=make_member(shop, RoleKind.ASSOCIATE))
    product = invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name="Tomates",
        unit="kg",
        unit_price=Decimal("4.20"),
        vat_rate=Decimal("5.5"),
    )
    invoice = make_invoice(account)
    settlement = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=10_00, actor=None, idempotency_key=key()
    )
    order = make_order(account, line("Pain", "1", "5.00"))
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    # A 5 € deposit beside the debt (automatic allocation off): something to apply by hand.
    Shop.objects.filter(pk=shop.pk).update(auto_allocate=False)
    ledger.record_top_up(
        account=account, amount=5_00, mode="cash", idempotency_key=key(), actor=None
    )
    return World(
        shop=shop,
        account=account,
        role=role,
        target=target,
        product=product,
        order=order,
        invoice=invoice,
        settlement_id=settlement.pk,
        statement=statement,
        run=run,
        api_key=create_api_key(
            membership=Membership.objects.get(shop=shop, user=owner_of(shop)),
            name="Till",
            scopes=["customers.view"],
        ).key,
    )


Data = Callable[[World], dict[str, Any]]


def _nothing(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Probe:
    """One request to a URL: the method, its data, what it needs, what a member who may gets.

    `needs` are all required; with `needs_one_of`, at least one of those too.
    """

    method: str
    needs: frozenset[str]
    ok: int
    data: Data = _nothing
    needs_one_of: frozenset[str] = frozenset()
    query: str = ""
    label: str = ""
    writes: bool = True  # an allowed POST writes; every GET and every refused POST does not

    def allowed(self, permissions: frozenset[str]) -> bool:
        if not self.needs <= permissions:
            return False
        return not self.needs_one_of or bool(self.needs_one_of & permissions)


@dataclass(frozen=True)
class Route:
    """How to build a URL's arguments from a world, and the requests the matrix sends it."""

    args: Callable[[World], list[Any]]
    probes: tuple[Probe, ...]
    has_ids: bool = field(default=True)

    def url(self, name: str, world: World) -> str:
        return reverse(name, args=self.args(world))


def _get(*needs: str, ok: int = 200, **extra: Any) -> Probe:
    return Probe("get", frozenset(needs), ok, **extra)


def _post(*needs: str, ok: int = 302, data: Data = _nothing, **extra: Any) -> Probe:
    return Probe("post", frozenset(needs), ok, data=data, **extra)


def _no_ids(*probes: Probe) -> Route:
    return Route(args=lambda world: [], probes=probes, has_ids=False)


def _ids(args: Callable[[World], list[Any]], *probes: Probe) -> Route:
    return Route(args=args, probes=probes)


def _customer(world: World) -> list[Any]:
    return [world.account.customer_id]


def _charge(world: World) -> list[Any]:
    return [world.invoice.charge_id]


def _credit(world: World) -> list[Any]:
    return [Settlement.objects.get(pk=world.settlement_id).credit_id]


def _statement(world: World) -> list[Any]:
    return [world.statement.pk]


def _run(world: World) -> list[Any]:
    return [world.run.pk]


def _receipt_today(world: World) -> dict[str, Any]:
    return {
        "mode": "cash",
        "amount": "10",
        "day": timezone.localdate().isoformat(),
        "idempotency_key": key(),
    }


def _adjustment(world: World) -> dict[str, Any]:
    return {"amount": "5", "reason": "Broken crate", "idempotency_key": key()}


def _customer_fields(world: World) -> dict[str, Any]:
    return {
        "name": "Léa Petit",
        "country": "FR",
        "language": "fr",
        "credit_limit": "",
        "no_limit": "on",
        "idempotency_key": key(),
    }


def _product_fields(world: World) -> dict[str, Any]:
    return {"name": "Courgettes", "unit": "kg", "unit_price": "3.10", "vat_rate": "5.5"}


def _sale(world: World) -> dict[str, Any]:
    return {
        "customer": world.account.customer_id,
        "idempotency_key": key(),
        "line-0-item": "Tomates",
        "line-0-quantity": "1",
        "action": "order",
    }


def _refund_to_account(world: World) -> dict[str, Any]:
    return {"amount": "5.00", "mode": "account", "reason": "Returned", "idempotency_key": key()}


def _invoice_settings(world: World) -> dict[str, Any]:
    return {
        "payment_tracking_enabled": "on",
        "accepted": ["cash", "transfer", "account"],
        "default_payment_mode": "cash",
        "payment_terms_days": "15",
        "new_mode": "",
        "legal_name": "EARL",
        "siret": "",
        "vat_number": "",
        "address": "Charly",
    }


def _statement_settings(world: World) -> dict[str, Any]:
    return {
        "statement_link_days": "14",
        "online_payment_max_amount": "500.00",
        "provider": "",
        "legal_name": "SARL Test",
        "address": "1 rue Haute",
        "email": "shop@example.com",
    }


def _cash_cell(world: World, amount: str) -> dict[str, Any]:
    """The Payments page's cash cell of the world's invoice, typed over its 10 € settlement."""
    invoice = world.invoice.pk
    return {
        "row": [str(invoice)],
        f"amount-{invoice}-cash": amount,
        f"version-{invoice}-cash": str(world.settlement_id),
    }


def _movement(kind: str) -> Callable[[World], list[Any]]:
    return lambda world: [world.account.customer_id, kind]


P = Permission

ROUTES: dict[str, Route] = {
    # Home and the settings index: any active member.
    "staff:home": _no_ids(_get()),
    "staff:settings": _no_ids(
        _get(
            needs_one_of=frozenset(
                {P.ROLES_MANAGE, P.STAFF_MANAGE, P.SETTINGS_MANAGE, P.EXPORTS_RUN}
            )
        )
    ),
    # Customers and their accounts.
    "staff:customer_list": _no_ids(_get(P.CUSTOMERS_VIEW)),
    "staff:credit_account_list": _no_ids(_get(P.CUSTOMERS_VIEW)),
    "staff:customer_create": _no_ids(
        _get(P.CUSTOMERS_EDIT), _post(P.CUSTOMERS_EDIT, data=_customer_fields)
    ),
    "staff:customer_account": _ids(_customer, _get(P.CUSTOMERS_VIEW)),
    "staff:customer_edit": _ids(
        _customer, _get(P.CUSTOMERS_EDIT), _post(P.CUSTOMERS_EDIT, data=_customer_fields)
    ),
    "staff:customer_credit_limit": _ids(
        _customer,
        _post(
            P.CUSTOMERS_CREDIT_LIMIT,
            data=lambda world: {"credit_limit": "250", "idempotency_key": key()},
        ),
    ),
    "staff:customer_apply_deposit": _ids(
        _customer,
        _post(
            P.PAYMENTS_RECORD,
            data=lambda world: {
                "charges": [str(world.invoice.charge_id)],
                "idempotency_key": key(),
            },
        ),
    ),
    "staff:customer_deactivate": _ids(
        _customer,
        _get(P.CUSTOMERS_CREDIT_LIMIT),
        _post(P.CUSTOMERS_CREDIT_LIMIT, data=lambda world: {"idempotency_key": key()}),
    ),
    # The customer portal from the Account tab (the world's shop has its portal open).
    "staff:customer_portal_invite": _ids(_customer, _post(P.CUSTOMERS_EDIT)),
    "staff:customer_portal_sign_out": _ids(_customer, _post(P.CUSTOMERS_EDIT)),
    # One URL, four movements: each kind is its own row of the matrix.
    "staff:customer_movement": Route(
        args=_movement("payment"),
        probes=(
            _get(P.PAYMENTS_RECORD, label="payment"),
            _post(P.PAYMENTS_RECORD, data=_receipt_today, label="payment"),
        ),
    ),
    "staff:customer_movement top-up": Route(
        args=_movement("top-up"),
        probes=(
            _get(P.PAYMENTS_RECORD, label="top-up"),
            _post(P.PAYMENTS_RECORD, data=_receipt_today, label="top-up"),
        ),
    ),
    "staff:customer_movement debit": Route(
        args=_movement("debit"),
        probes=(
            _get(P.ACCOUNTS_ADJUST, label="debit"),
            _post(P.ACCOUNTS_ADJUST, data=_adjustment, label="debit"),
        ),
    ),
    "staff:customer_movement credit": Route(
        args=_movement("credit"),
        probes=(
            _get(P.ACCOUNTS_ADJUST, label="credit"),
            _post(P.ACCOUNTS_ADJUST, data=_adjustment, label="credit"),
        ),
    ),
    # Sales, orders, the catalogue.
    "staff:sale_list": _no_ids(_get(P.SALES_VIEW)),
    "staff:sale_new": _no_ids(_get(P.SALES_CREATE), _post(P.SALES_CREATE, data=_sale)),
    "staff:order_detail": _ids(lambda world: [world.order.pk], _get(P.SALES_VIEW)),
    "staff:order_deliver": _ids(
        lambda world: [world.order.pk],
        _post(P.SALES_DELIVER, data=lambda world: {"idempotency_key": key()}),
    ),
    "staff:order_cancel": _ids(
        lambda world: [world.order.pk],
        _post(P.SALES_DELIVER, data=lambda world: {"reason": "Not needed"}),
    ),
    "staff:product_list": _no_ids(
        _get(P.SALES_VIEW), _post(P.SALES_VIEW, P.SETTINGS_MANAGE, data=_product_fields)
    ),
    "staff:product_edit": _ids(
        lambda world: [world.product.pk],
        _get(P.SETTINGS_MANAGE),
        _post(P.SETTINGS_MANAGE, data=_product_fields),
    ),
    # A charge's page, its settlement, refund, invoice and receipt.
    "staff:charge_detail": _ids(_charge, _get(P.SALES_VIEW)),
    "staff:charge_settle": _ids(
        _charge,
        _post(
            P.PAYMENTS_RECORD,
            data=lambda world: {
                "mode": "cash",
                "amount": "5",
                "expected_open": "5000",
                "idempotency_key": key(),
            },
        ),
    ),
    "staff:charge_reverse": _ids(
        _charge,
        _post(P.ACCOUNTS_REVERSE, data=lambda world: {"reason": "Wrong", "idempotency_key": key()}),
    ),
    "staff:charge_refund": _ids(
        _charge,
        _get(P.SALES_VIEW, needs_one_of=frozenset({P.SALES_REFUND, P.SALES_REFUND_TO_ACCOUNT})),
        _post(P.SALES_VIEW, P.SALES_REFUND_TO_ACCOUNT, data=_refund_to_account),
    ),
    "staff:invoice_print": _ids(_charge, _get(P.SALES_VIEW)),
    "staff:invoice_pdf": _ids(_charge, _get(P.SALES_VIEW)),
    "staff:receipt": _ids(_charge, _get(P.SALES_VIEW)),
    "staff:settlement_reverse": _ids(
        lambda world: [world.settlement_id],
        _post(P.ACCOUNTS_REVERSE, data=lambda world: {"reason": "Wrong", "idempotency_key": key()}),
    ),
    # A credit's page (the settled payment), its receipt and its reversal.
    "staff:credit_detail": _ids(_credit, _get(P.CUSTOMERS_VIEW)),
    "staff:credit_receipt": _ids(_credit, _get(P.CUSTOMERS_VIEW)),
    "staff:credit_reverse": _ids(
        _credit,
        _post(P.ACCOUNTS_REVERSE, data=lambda world: {"reason": "Wrong", "idempotency_key": key()}),
    ),
    # The Payments page and its rows.
    "staff:payments_week": _no_ids(
        _get(P.PAYMENTS_RECORD),
        _post(P.PAYMENTS_RECORD, data=lambda world: {"week": "", **_cash_cell(world, "25")}),
    ),
    "staff:payments_row": _ids(
        lambda world: [world.invoice.pk],
        _post(
            P.PAYMENTS_RECORD,
            ok=200,
            data=lambda world: {"cell": "cash", **_cash_cell(world, "20")},
        ),
    ),
    # Settings pages of the sales area.
    "staff:invoice_settings": _no_ids(
        _get(P.SETTINGS_MANAGE), _post(P.SETTINGS_MANAGE, data=_invoice_settings)
    ),
    "staff:exports": _no_ids(_get(P.EXPORTS_RUN)),
    # Settings → Customer accounts and the audit log.
    "staff:account_settings": _no_ids(
        _get(P.SETTINGS_MANAGE),
        _post(
            P.SETTINGS_MANAGE,
            data=lambda world: {"default_credit_limit": "200", "auto_allocate": "on"},
        ),
    ),
    "staff:portal_settings": _no_ids(
        _get(P.SETTINGS_MANAGE),
        _post(
            P.SETTINGS_MANAGE,
            data=lambda world: {"portal_enabled": "on", "top_up_minimum": "15"},
        ),
    ),
    # Settings → Online payment: credentials (no network: a save encrypts, nothing to test or
    # remove in this world) and the reconciliation page.
    "staff:online_payment_settings": _no_ids(_get(P.SETTINGS_MANAGE)),
    "staff:payment_checks": _no_ids(_get(P.SETTINGS_MANAGE)),
    "staff:provider_account_save": Route(
        args=lambda world: ["stripe"],
        probes=(_post(P.SETTINGS_MANAGE, data=lambda world: {"stripe-api_key": "sk_test_x"}),),
        has_ids=False,
    ),
    "staff:provider_account_check": Route(
        args=lambda world: ["stripe"],
        probes=(_post(P.SETTINGS_MANAGE, ok=404, writes=False),),
        has_ids=False,
    ),
    "staff:provider_account_remove": Route(
        args=lambda world: ["sumup"],
        probes=(_post(P.SETTINGS_MANAGE, writes=False),),
        has_ids=False,
    ),
    # Settings → API: the shop's keys (a new key's page shows its secret: 200, not a redirect).
    "api_keys:key_list": _no_ids(
        _get(P.SETTINGS_MANAGE),
        _post(
            P.SETTINGS_MANAGE,
            ok=200,
            data=lambda world: {"name": "Web shop", "scopes": ["customers.view"]},
        ),
    ),
    "api_keys:key_revoke": _ids(lambda world: [world.api_key.pk], _post(P.SETTINGS_MANAGE)),
    "staff:audit_log": _no_ids(
        _get(P.SETTINGS_MANAGE),
        _get(P.SETTINGS_MANAGE, query="?q=martin&kind=override&staff=none&page=2"),
    ),
    # The downloads.
    "exports:payments": _no_ids(
        _post(
            P.PAYMENTS_RECORD,
            P.EXPORTS_RUN,
            ok=200,
            data=lambda world: {"invoice": [str(world.invoice.pk)], "week": "2026-W01"},
            writes=False,  # a download
        )
    ),
    "exports:sales_by_mode": _no_ids(_get(P.EXPORTS_RUN, query="?start=2026-01-01&end=2026-01-31")),
    # Statements.
    "staff:statement_runs": _no_ids(
        _get(P.STATEMENTS_SEND),
        _post(
            P.STATEMENTS_SEND,
            data=lambda world: {"minimum_debt": "1.00", "idempotency_key": key()},
        ),
    ),
    "staff:statement_run_detail": _ids(_run, _get(P.STATEMENTS_SEND)),
    "staff:statement_run_resume": _ids(_run, _post(P.STATEMENTS_SEND)),
    "staff:statement_settings": _no_ids(
        _get(P.SETTINGS_MANAGE), _post(P.SETTINGS_MANAGE, data=_statement_settings)
    ),
    "staff:statement_preview": _ids(
        _customer,
        _get(P.STATEMENTS_SEND),
        # Send, not print: the world's account already has a statement with this content, and
        # printing an unchanged statement reuses it (writes nothing); sending queues an email.
        _post(
            P.STATEMENTS_SEND,
            data=lambda world: {
                "email": "a@example.com",
                "action": "send",
                "idempotency_key": key(),
            },
        ),
    ),
    "staff:statement_detail": _ids(_statement, _get(P.STATEMENTS_SEND)),
    "staff:statement_send": _ids(
        _statement,
        _post(
            P.STATEMENTS_SEND,
            data=lambda world: {"email": "a@example.com", "idempotency_key": key()},
        ),
    ),
    "staff:statement_print": _ids(_statement, _get(P.STATEMENTS_SEND)),
    "staff:statement_pdf": _ids(_statement, _get(P.STATEMENTS_SEND)),
    # Settings → Staff roles and Staff members.
    "staff:role_list": _no_ids(_get(P.ROLES_MANAGE)),
    "staff:role_create": _no_ids(
        _get(P.ROLES_MANAGE),
        _post(
            P.ROLES_MANAGE, data=lambda world: {"name": "Till", "permissions": ["customers.view"]}
        ),
    ),
    "staff:role_edit": _ids(
        lambda world: [world.role.pk],
        _get(P.ROLES_MANAGE),
        _post(
            P.ROLES_MANAGE,
            data=lambda world: {"name": "Cashier", "permissions": ["customers.view", "sales.view"]},
        ),
    ),
    "staff:member_list": _no_ids(_get(P.STAFF_MANAGE)),
    "staff:member_invite": _no_ids(
        _post(
            P.STAFF_MANAGE,
            data=lambda world: {
                "email": "new@ex.fr",
                "role": Role.objects.get(shop=world.shop, kind=RoleKind.ASSOCIATE).pk,
            },
        )
    ),
    "staff:member_role": _ids(
        lambda world: [world.target.pk],
        _post(P.STAFF_MANAGE, data=lambda world: {"role": world.role.pk}),
    ),
    "staff:member_active": _ids(
        lambda world: [world.target.pk],
        _post(P.STAFF_MANAGE, data=lambda world: {"is_active": "0"}),
    ),
}


def _url_name(key_: str) -> str:
    """`ROUTES` keys are URL names, with a suffix where one URL has several rows."""
    return key_.split(" ", 1)[0]


def _walk(patterns: list[Any], namespace: str) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            # An unnamed pattern cannot be listed in ROUTES: it shows as its route, and fails.
            yield f"{namespace}:{pattern.name or pattern.pattern}"


def back_office_url_names() -> set[str]:
    return {
        name
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace in BACK_OFFICE_NAMESPACES
        for name in _walk(pattern.url_patterns, pattern.namespace)
    }


def test_the_matrix_covers_every_back_office_url() -> None:
    covered = {_url_name(key_) for key_ in ROUTES}

    assert covered | PUBLIC == back_office_url_names()
    assert covered & PUBLIC == set()


def test_every_movement_kind_has_its_row() -> None:
    from ardoise.staff.customers.movements import MOVEMENTS

    rows = {probe.label for key_, route in ROUTES.items() for probe in route.probes if probe.label}

    assert rows == set(MOVEMENTS)


CASES = [
    pytest.param(key_, probe, id=f"{key_} {probe.method}")
    for key_, route in ROUTES.items()
    for probe in route.probes
]


def _permissions_of(role: str) -> frozenset[str]:
    return CUSTOM_PERMISSIONS if role == CUSTOM else BUILT_IN_ROLES[role][1]


def _member(world: World, role: str) -> User:
    if role != CUSTOM:
        return make_member(world.shop, role)
    custom = Role.objects.create(
        shop=world.shop, name="Till and statements", permissions=sorted(CUSTOM_PERMISSIONS)
    )
    user = make_member(world.shop, RoleKind.ASSOCIATE)
    Membership.objects.filter(user=user).update(role=custom)
    return user


def _send(client: Client, key_: str, probe: Probe, world: World) -> Any:
    url = ROUTES[key_].url(_url_name(key_), world) + probe.query
    if probe.method == "get":
        return client.get(url)
    return client.post(url, probe.data(world))


@pytest.mark.parametrize(("key_", "probe"), CASES)
@pytest.mark.parametrize("role", ROLES)
def test_role_may_or_may_not(role: str, key_: str, probe: Probe) -> None:
    world = build_world()
    client = client_for(_member(world, role))
    allowed = probe.allowed(_permissions_of(role))

    before = database_snapshot()

    response = _send(client, key_, probe, world)

    assert response.status_code == (probe.ok if allowed else 403)
    changes = database_snapshot().changes_since(before)
    if allowed and probe.method == "post" and probe.writes:
        assert changes != {}, "an allowed POST that did nothing: its data no longer fits the form"
    else:
        assert changes == {}


def test_a_custom_role_gets_exactly_what_its_boxes_grant() -> None:
    world = build_world()
    user = make_member(world.shop, RoleKind.ASSOCIATE)
    Membership.objects.filter(user=user).update(role=world.role)  # customers.view only
    client = client_for(user)

    assert client.get(reverse("staff:customer_list")).status_code == 200
    with nothing_written():
        post = client.post(
            reverse("staff:customer_movement", args=[world.account.customer_id, "payment"]),
            _receipt_today(world),
        )
    assert post.status_code == 403


def test_a_deactivated_member_is_refused_everywhere() -> None:
    world = build_world()
    client = client_for(world.target.user)
    world.target.is_active = False
    world.target.save(update_fields=["is_active"])

    assert client.get(reverse("staff:customer_list")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    world = build_world()
    response = Client().get(reverse("staff:customer_account", args=[world.account.customer_id]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login") + "?next=")


def test_every_protected_url_sends_signed_out_visitors_to_sign_in() -> None:
    world = build_world()
    visitor = Client()
    answers = {}
    for key_, route in ROUTES.items():
        for probe in route.probes:
            response = _send(visitor, key_, probe, world)
            answers[f"{key_} {probe.method}"] = (
                response.status_code,
                response["Location"].split("?", 1)[0] if response.status_code == 302 else "",
            )

    login = reverse("staff:login")
    assert answers == {name: (302, login) for name in answers}


def test_every_object_url_answers_404_for_another_shops_id() -> None:
    mine, theirs = build_world(), build_world()
    client = client_for(owner_of(mine.shop))
    before = database_snapshot()
    answers = {}
    for key_, route in ROUTES.items():
        if not route.has_ids:
            continue
        for probe in route.probes:
            answers[f"{key_} {probe.method}"] = _send(client, key_, probe, theirs).status_code

    assert answers == {name: 404 for name in answers}
    assert len(answers) == 48
    assert database_snapshot().changes_since(before) == {}
    theirs.account.refresh_from_db()
    theirs.target.refresh_from_db()
    theirs.role.refresh_from_db()
    assert (theirs.account.balance, theirs.account.credit_limit) == (-45_00, 100_00)
    assert (theirs.target.is_active, theirs.target.role.kind) == (True, RoleKind.ASSOCIATE)
    assert theirs.role.permissions == ["customers.view"]
    theirs.api_key.refresh_from_db()
    assert theirs.api_key.revoked_at is None


def test_an_unknown_movement_kind_is_404() -> None:
    world = build_world()
    client = client_for(owner_of(world.shop))
    url = reverse("staff:customer_movement", args=[world.account.customer_id, "refund"])

    assert client.get(url).status_code == 404
