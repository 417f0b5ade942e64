"""Every sales view: another shop's id is a 404; a role without the permission gets 403."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.invoicing.models import Invoice, Product
from ardoise.ledger.models import Account
from ardoise.payments import services as payments
from ardoise.shops.models import Membership, Role, RoleKind, Shop
from tests.factories import UserFactory, client_for, key
from tests.invoicing.builders import make_order

pytestmark = pytest.mark.django_db


def client_without(shop: Shop, missing: str) -> Client:
    """A member whose custom role holds every permission but `missing`."""
    owner_role = Role.objects.get(shop=shop, kind=RoleKind.OWNER)
    role = Role.objects.create(
        shop=shop,
        name=f"No {missing} {key()[:6]}",
        permissions=[code for code in owner_role.permissions if code != missing],
    )
    user = UserFactory()
    Membership.objects.create(shop=shop, user=user, role=role)
    return client_for(user)


def _urls(
    invoice: Invoice, order_id: int, product: Product, settlement_id: int, credit_id: int
) -> list:
    charge = invoice.charge_id
    return [
        ("get", reverse("staff:sale_list"), "sales.view"),
        ("get", reverse("staff:sale_new"), "sales.create"),
        ("get", reverse("staff:order_detail", args=[order_id]), "sales.view"),
        ("post", reverse("staff:order_deliver", args=[order_id]), "sales.deliver"),
        ("post", reverse("staff:order_cancel", args=[order_id]), "sales.deliver"),
        ("get", reverse("staff:product_list"), "sales.view"),
        ("get", reverse("staff:product_edit", args=[product.pk]), "settings.manage"),
        ("get", reverse("staff:charge_detail", args=[charge]), "sales.view"),
        ("post", reverse("staff:charge_settle", args=[charge]), "payments.record"),
        ("get", reverse("staff:invoice_print", args=[charge]), "sales.view"),
        ("get", reverse("staff:invoice_pdf", args=[charge]), "sales.view"),
        ("get", reverse("staff:receipt", args=[charge]), "sales.view"),
        ("post", reverse("staff:settlement_reverse", args=[settlement_id]), "accounts.reverse"),
        ("post", reverse("staff:charge_reverse", args=[charge]), "accounts.reverse"),
        ("get", reverse("staff:credit_detail", args=[credit_id]), "customers.view"),
        ("get", reverse("staff:credit_receipt", args=[credit_id]), "customers.view"),
        ("post", reverse("staff:credit_reverse", args=[credit_id]), "accounts.reverse"),
        ("get", reverse("staff:payments_week"), "payments.record"),
        ("post", reverse("staff:payments_row", args=[invoice.pk]), "payments.record"),
        ("post", reverse("exports:payments"), "exports.run"),
        ("post", reverse("exports:payments"), "payments.record"),
        (
            "get",
            reverse("exports:sales_by_mode") + "?start=2026-01-01&end=2026-01-31",
            "exports.run",
        ),
        ("get", reverse("staff:invoice_settings"), "settings.manage"),
        ("get", reverse("staff:exports"), "exports.run"),
    ]


@pytest.fixture
def objects(account: Account, invoice: Invoice, tomatoes: Product) -> tuple:
    order = make_order(account)
    settlement = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=10_00, actor=None, idempotency_key=key()
    )
    return invoice, order.pk, tomatoes, settlement.pk, settlement.credit_id


def test_each_view_refuses_a_role_without_its_permission(shop: Shop, objects: tuple) -> None:
    statuses = [
        (url, permission, getattr(client_without(shop, permission), method)(url).status_code)
        for method, url, permission in _urls(*objects)
    ]
    assert len(statuses) == 24
    assert {status for _, _, status in statuses} == {403}, statuses


def test_refund_needs_one_of_the_two_refund_permissions(shop: Shop, invoice: Invoice) -> None:
    url = reverse("staff:charge_refund", args=[invoice.charge_id])
    role = Role.objects.create(shop=shop, name="Viewer", permissions=["sales.view"])
    user = UserFactory()
    Membership.objects.create(shop=shop, user=user, role=role)
    assert client_for(user).get(url).status_code == 403
    assert client_without(shop, "sales.refund").get(url).status_code == 200


def test_another_shops_ids_are_not_found(other_client: Client, objects: tuple) -> None:
    statuses = {
        url: getattr(other_client, method)(url).status_code
        for method, url, _ in _urls(*objects)
        if any(str(part).isdigit() for part in url.split("/"))
    }
    statuses[reverse("staff:charge_refund", args=[objects[0].charge_id])] = other_client.get(
        reverse("staff:charge_refund", args=[objects[0].charge_id])
    ).status_code
    assert len(statuses) == 16
    assert set(statuses.values()) == {404}, statuses


def test_associate_sees_no_refund_button_and_no_reverse(
    client_as: Callable[[str], Client], invoice: Invoice
) -> None:
    page = client_as(RoleKind.ASSOCIATE).get(
        reverse("staff:charge_detail", args=[invoice.charge_id])
    )
    assert page.status_code == 200
    assert b'id="refund-button"' not in page.content
    manager_page = client_as(RoleKind.MANAGER).get(
        reverse("staff:charge_detail", args=[invoice.charge_id])
    )
    assert b'id="refund-button"' in manager_page.content
