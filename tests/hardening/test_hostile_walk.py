"""The hostile-input walk: every form and every filter, every hostile value, never a 500.

What is walked comes from two places, so that nothing new is silently left out:
- the URL resolver: every route of the back office (`staff:`, `exports:`, `api_keys:`), of the
  customer's side (`portal:`) and of `payments:` is a target of the walk or is listed in
  `EXCLUDED` with the reason (`test_the_walk_covers_every_route`);
- the pages themselves: every page the walk visits is read for its forms, HTMX requests and
  links (tests/hardening/pages.py), and every field or query parameter found there is walked on
  its route; a form that posts to a route no walk sends that method to fails the walk.

Each request starts from valid data: the permission matrix's for the back office (tests/staff,
which proves each is accepted), `ROWS` here for the rest; the walk checks that each POST's valid
data is indeed accepted, or its hostile values would only ever meet a refusal. Then each field
in turn gets the hostile values of its kind (tests/hardening/hostile.py: strings, numbers,
dates, weeks, choices and ids, uploads; a fixed list and values drawn by hypothesis with a seed
of the field's own), the other fields left valid, and each id or token in a path gets hostile
values too. A request passes when it is not a server error, when a refused one wrote nothing,
and when an accepted one that touched the ledger leaves it checking (tests/hardening/walk.py).

Who walks: the owner walks every back-office form and filter; a cashier (the Associate role)
walks the forms the role may post, with a few values each; a visitor walks the sign-in pages,
the statement link and the test provider's page; a customer walks the portal. Every request is
rolled back once judged, so every value meets the same world.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ardoise.customers.models import Customer, PortalLinkPurpose
from ardoise.customers.portal_links import create_link
from ardoise.invoicing.totals import compute_totals
from ardoise.ledger.models import Credit
from ardoise.payments.orders import CartItem, place_online_order
from ardoise.payments.quotes import lines_from_catalogue, quote
from ardoise.payments.top_ups import start_top_up
from ardoise.shops.models import RoleKind, Shop
from ardoise.shops.permissions import BUILT_IN_ROLES
from ardoise.statements.links import create_payment_link, resolve_payment_link
from ardoise.statements.services import pay_statement
from tests.factories import PASSWORD, client_for, key, make_account, make_member, owner_of
from tests.hardening import hostile
from tests.hardening.pages import Request, kind_of, requests_on_page
from tests.hardening.walk import Target, Walker
from tests.portal.support import portal_client
from tests.staff.test_permission_matrix import PUBLIC, ROUTES, Probe, World, _url_name, build_world
from tests.statements.support import enable_online_payment

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

WALKED_NAMESPACES = ("staff", "exports", "api_keys", "portal", "payments")

# Routes the walk sends nothing to, and why. A route belongs here only when what it takes is
# walked elsewhere with the right tools.
# None today: the providers' webhooks are walked for their paths (their bodies are signed JSON,
# which tests/payments sends with bad, missing and replayed signatures).
EXCLUDED: dict[str, str] = {}

# Valid data the walk's world refuses, and why: testing the connection of a provider account
# calls the provider over the network, so the walk's world has none (a 404 for every value);
# tests/staff/test_online_payment_settings.py checks it against the provider's local stand-in.
REFUSED_IN_THIS_WORLD = ["staff:provider_account_check post"]

# Fields, parameters and headers a view reads that its pages do not show as a field (a pager
# link shows only with enough rows, JavaScript adds some, a proxy adds the header).
FORWARDED = {"header:X-Forwarded-For": "text"}
EXTRA: dict[tuple[str, str], dict[str, str]] = {
    ("staff:customer_list", "get"): {"page": "choice", "sort": "choice", "filter": "choice"},
    ("staff:credit_account_list", "get"): {"page": "choice", "sort": "choice"},
    ("staff:sale_list", "get"): {"page": "choice"},
    ("staff:audit_log", "get"): {"page": "choice"},
    ("staff:customer_account", "get"): {"preset": "choice", "range": "choice"},
    ("staff:customer_movement", "get"): {"next": "text"},
    ("staff:sale_new", "post"): {"override": "flag", "customer": "choice"},
    ("staff:payments_week", "get"): {"week": "week"},
    ("staff:payments_row", "post"): {"week": "week"},
    ("exports:payments", "post"): {"credit": "choice"},
    ("staff:login", "get"): {"next": "text"},
    ("staff:login", "post"): {"next": "text", **FORWARDED},
    ("staff:password_reset", "post"): FORWARDED,
    ("portal:sign_in", "get"): {"next": "text"},
    ("portal:sign_in", "post"): {"next": "text", **FORWARDED},
    ("portal:language", "post"): {"next": "text"},
    ("payments:test_checkout", "post"): {"decision": "choice"},
}

# A refused sign-in or reset request is still counted: that is the throttle, not a half-written
# row. Nothing else may be written by a refusal.
THROTTLE = frozenset({"shops_sign_in_throttle"})
MAY_WRITE = {"staff:login": THROTTLE, "staff:password_reset": THROTTLE, "portal:sign_in": THROTTLE}

ASSOCIATE = BUILT_IN_ROLES[RoleKind.ASSOCIATE][1]


def _names(patterns: Iterable[Any], namespace: str) -> Iterable[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name or pattern.pattern}"


def resolver_names() -> set[str]:
    return {
        name
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace in WALKED_NAMESPACES
        for name in _names(pattern.url_patterns, pattern.namespace)
    }


_KINDS_OF_CONVERTER = {"IdConverter": "id", "IntConverter": "id", "SlugConverter": "slug"}


def _converters() -> dict[tuple[str, str], str]:
    """{(URL name, argument): "id", "slug" or "str"}, from the patterns' converters."""
    found: dict[tuple[str, str], str] = {}

    def visit(patterns: Iterable[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                visit(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                for argument, converter in getattr(pattern.pattern, "converters", {}).items():
                    kind = _KINDS_OF_CONVERTER.get(type(converter).__name__, "str")
                    found[(f"{namespace}:{pattern.name}", argument)] = kind

    visit(get_resolver().url_patterns, "")
    return found


# ---------------------------------------------------------------------------------------------
# The world: the permission matrix's, with a statement payment link and the checkout it opened,
# a portal sign-in link and an email-change link, and a staff password reset link.


class Links:
    def __init__(self, world: World) -> None:
        enable_online_payment(world.shop)
        customer = world.account.customer
        self.statement = create_payment_link(statement=world.statement, days=30)
        self.sign_in = create_link(customer=customer, purpose=PortalLinkPurpose.SIGN_IN)
        self.email = create_link(
            customer=customer, purpose=PortalLinkPurpose.EMAIL_CHANGE, new_email="new@example.com"
        )
        owner = owner_of(world.shop)
        self.owner_email = owner.email
        self.ordering: Ordering  # set by the portal's walk only
        self.checkout: str  # set by the statement link's walk only
        # Made after the owner signed in: a reset token signs the last sign-in time.
        self.reset = (
            urlsafe_base64_encode(force_bytes(owner.pk)),
            default_token_generator.make_token(owner),
        )


class Ordering:
    """What the portal's ordering pages act on (the portal walk only: an order placed online
    holds part of a balance, which the back office's valid data does not expect). A second
    customer, the buyer, with no credit: ordering there opens a payment of the order alone,
    while the world's customer owes money that the pages paying what is owed and a statement
    pay (one payment of the same invoices at a time, so nothing is opened for those). The
    buyer has an order placed online, a top-up started, and the basket's valid data."""

    def __init__(self, world: World) -> None:
        Shop.objects.filter(pk=world.shop.pk).update(ordering_open=True)
        self.buyer = make_account(world.shop, credit_limit=0, name="Lou Buyer", email="lou@ex.fr")
        Customer.objects.filter(pk=self.buyer.customer_id).update(allow_several_orders=True)
        back = "http://testserver/back/"
        self.order = place_online_order(
            account=self.buyer,
            items=[CartItem(world.product.pk, Decimal(1))],
            idempotency_key=key(),
            return_url=back,
        ).order.pk
        self.top_up = key()
        start_top_up(account=self.buyer, amount=20_00, idempotency_key=self.top_up, return_url=back)
        self.basket = {f"quantity-{world.product.pk}": "2", "note": ""}
        lines = lines_from_catalogue(world.shop.pk, [CartItem(world.product.pk, Decimal(2))])
        self.buyer.refresh_from_db()
        total = compute_totals(lines, self.buyer.currency).total
        self.to_pay = quote(total=total, account=self.buyer).to_pay
        world.account.refresh_from_db()
        self.version = world.account.version


Of = Callable[[World, Links], Any]


@dataclass(frozen=True)
class Row:
    """A request of the walk outside the back office's matrix: who sends it, its path's
    arguments and its valid data."""

    name: str
    method: str
    who: str  # "visitor", "owner", "customer" or "buyer" (Ordering)
    args: Of = lambda world, links: []
    data: Of = lambda world, links: {}
    ok: int = 0  # the status of the valid request: 302 for a POST, 200 for a GET by default
    refused: bool = False  # the valid request is refused by design (a webhook nobody signed)

    @property
    def status(self) -> int:
        return self.ok or (200 if self.method == "get" else 302)


def _slug(world: World, links: Links) -> list[Any]:
    return [world.shop.slug]


def _order(world: World, links: Links) -> list[Any]:
    return [world.shop.slug, links.ordering.order]


def _receipt(world: World, links: Links) -> list[Any]:
    credit = Credit.objects.filter(account=world.account).order_by("pk").first()
    assert credit is not None
    return [world.shop.slug, credit.pk]


ROWS: dict[str, list[Row]] = {
    "sign-in": [
        Row("staff:login", "get", "visitor"),
        Row(
            "staff:login",
            "post",
            "visitor",
            data=lambda w, links: {"username": links.owner_email, "password": PASSWORD},
        ),
        Row("staff:logout", "post", "owner", data=lambda w, links: {"next": "/"}),
        Row(
            "staff:set_language",
            "post",
            "owner",
            data=lambda w, links: {"language": "fr", "next": "/"},
        ),
        Row("staff:password_reset", "get", "visitor"),
        Row(
            "staff:password_reset",
            "post",
            "visitor",
            data=lambda w, links: {"email": links.owner_email},
        ),
        Row("staff:password_reset_done", "get", "visitor"),
        Row("staff:password_reset_confirm", "get", "visitor", lambda w, links: list(links.reset)),
        # Django keeps the token in the session, and the form under "set-password".
        Row(
            "staff:password_reset_confirm",
            "post",
            "visitor",
            lambda w, links: [links.reset[0], "set-password"],
            lambda w, links: {
                "new_password1": "a long passphrase",
                "new_password2": "a long passphrase",
            },
        ),
        Row("staff:password_reset_complete", "get", "visitor"),
    ],
    "statement link": [
        Row("portal:statement", "get", "visitor", lambda w, links: [links.statement]),
        Row("portal:statement_pay", "post", "visitor", lambda w, links: [links.statement]),
        Row("payments:test_checkout", "get", "visitor", lambda w, links: [links.checkout]),
        Row(
            "payments:test_checkout",
            "post",
            "visitor",
            lambda w, links: [links.checkout],
            lambda w, links: {"decision": "approve"},
        ),
        # A webhook's body is the provider's signed JSON (tests/payments): unsigned, the walk's
        # requests are refused; what varies here is the path (provider, shop id, key).
        Row(
            "payments:provider_webhook", "post", "visitor", lambda w, links: ["test"], refused=True
        ),
        Row(
            "payments:account_webhook",
            "post",
            "visitor",
            lambda w, links: ["stripe", w.shop.pk, "no-such-key"],
            refused=True,
        ),
    ],
    "portal": [
        Row("portal:sign_in", "get", "visitor", _slug),
        Row(
            "portal:sign_in",
            "post",
            "visitor",
            _slug,
            lambda w, links: {"email": w.account.customer.email},
        ),
        Row("portal:sign_in_sent", "get", "visitor", _slug),
        Row("portal:sign_in_link", "get", "visitor", lambda w, links: [w.shop.slug, links.sign_in]),
        Row(
            "portal:sign_in_link", "post", "visitor", lambda w, links: [w.shop.slug, links.sign_in]
        ),
        Row("portal:home", "get", "customer", _slug),
        Row("portal:sign_out", "post", "customer", _slug),
        Row("portal:language", "post", "customer", _slug, lambda w, links: {"language": "fr"}),
        Row("portal:history", "get", "customer", _slug),
        Row(
            "portal:invoice", "get", "customer", lambda w, links: [w.shop.slug, w.invoice.charge_id]
        ),
        Row(
            "portal:invoice_pdf",
            "get",
            "customer",
            lambda w, links: [w.shop.slug, w.invoice.charge_id],
        ),
        Row("portal:receipt", "get", "customer", _receipt),
        Row("portal:statements", "get", "customer", _slug),
        Row(
            "portal:statement_pdf",
            "get",
            "customer",
            lambda w, links: [w.shop.slug, w.statement.pk],
        ),
        Row("portal:settings", "get", "customer", _slug),
        Row(
            "portal:settings",
            "post",
            "customer",
            _slug,
            lambda w, links: {"language": "fr", "email": w.account.customer.email},
        ),
        Row("portal:order", "get", "buyer", _slug),
        Row(
            "portal:order",
            "post",
            "buyer",
            _slug,
            lambda w, links: links.ordering.basket,
            ok=200,
        ),
        Row(
            "portal:order_confirm",
            "post",
            "buyer",
            _slug,
            lambda w, links: (
                links.ordering.basket
                | {"idempotency_key": key(), "expected_to_pay": links.ordering.to_pay}
            ),
        ),
        Row("portal:orders", "get", "buyer", _slug),
        Row("portal:order_detail", "get", "buyer", _order),
        Row(
            "portal:order_pay",
            "post",
            "buyer",
            _order,
            lambda w, links: {"idempotency_key": key()},
        ),
        Row("portal:order_cancel", "post", "buyer", _order),
        Row("portal:top_up", "get", "buyer", _slug),
        Row(
            "portal:top_up",
            "post",
            "buyer",
            _slug,
            # Not the 20 € the setup started: the same amount again is asked about first.
            lambda w, links: {"amount": "21", "idempotency_key": key()},
        ),
        Row(
            "portal:top_up_done",
            "get",
            "buyer",
            lambda w, links: [w.shop.slug, links.ordering.top_up],
        ),
        Row("portal:pay_owed", "get", "customer", _slug),
        Row("portal:pay_owed", "post", "customer", _slug),
        Row(
            "portal:pay_owed_done",
            "get",
            "customer",
            lambda w, links: [w.shop.slug, links.ordering.version],
            ok=404,  # no payment of what is owed was opened (see Ordering)
        ),
        Row(
            "portal:statement_pay_portal",
            "post",
            "customer",
            lambda w, links: [w.shop.slug, w.statement.pk],
        ),
        Row("portal:email_confirm", "get", "customer", lambda w, links: [w.shop.slug, links.email]),
        Row(
            "portal:email_confirm", "post", "customer", lambda w, links: [w.shop.slug, links.email]
        ),
    ],
}


def walked_everywhere() -> set[tuple[str, str]]:
    """(URL name, method) of every request some walk sends."""
    return {
        (_url_name(key_), probe.method) for key_, route in ROUTES.items() for probe in route.probes
    } | {(row.name, row.method) for rows in ROWS.values() for row in rows}


# ---------------------------------------------------------------------------------------------
# Targets: a request, its valid data, the fields the pages show for it.


def _as_lists(data: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: [str(item) for item in value] if isinstance(value, list) else [str(value)]
        for name, value in data.items()
    }


def _target(
    label: str, name: str, method: str, url: str, data: dict[str, Any], **extra: Any
) -> Target:
    path, _, query = url.partition("?")
    baseline = _as_lists(dict(parse_qsl(query, keep_blank_values=True)) | data)
    return Target(label=label, name=name, method=method, path=path, baseline=baseline, **extra)


def staff_targets(world: World, allowed: Callable[[Probe], bool]) -> list[Target]:
    """One target per request of the permission matrix that `allowed` keeps."""
    return [
        _target(
            f"{key_} {probe.method}{probe.query}",
            _url_name(key_),
            probe.method,
            route.url(_url_name(key_), world) + probe.query,
            probe.data(world) if probe.method == "post" else {},
            success_status=probe.ok,
        )
        for key_, route in ROUTES.items()
        for probe in route.probes
        if allowed(probe)
    ]


def staff_pages(world: World, allowed: Callable[[Probe], bool]) -> list[tuple[str, int]]:
    return [
        (route.url(_url_name(key_), world) + probe.query, probe.ok)
        for key_, route in ROUTES.items()
        for probe in route.probes
        if probe.method == "get" and allowed(probe)
    ]


def discover(client: Client, pages: Iterable[tuple[str, int]]) -> list[Request]:
    """What the pages let a person send (each page followed through its redirects), each
    page answering as expected."""
    found: list[Request] = []
    for page, status in pages:
        response = client.get(page, follow=True)
        assert response.status_code == status, page
        if "html" in response.get("Content-Type", ""):
            found += requests_on_page(response.content.decode(), response.request["PATH_INFO"])
    return found


def _name_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Exception:  # a link off the site or to a static file
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace in WALKED_NAMESPACES else None


def fill(targets: list[Target], found: list[Request]) -> list[str]:
    """Give each target the fields the pages show for it (and `EXTRA`, and its own data);
    return the requests the pages make that no walk sends."""
    missing = []
    for request in found:
        name = _name_of(request.path)
        if name is None:
            continue
        same = [t for t in targets if (t.name, t.method) == (name, request.method)]
        if not same and (name, request.method) not in walked_everywhere():
            missing.append(f"{request.method} {name} ({request.path})")
        for target in [t for t in same if t.path == request.path] or same:
            for field_name, kind in request.kinds.items():
                target.kinds.setdefault(field_name, kind)
            target.htmx_target = target.htmx_target or request.htmx_target
    for target in targets:
        for field_name, kind in EXTRA.get((target.name, target.method), {}).items():
            target.kinds.setdefault(field_name, kind)
        for field_name in target.baseline:
            target.kinds.setdefault(field_name, kind_of("input", {"name": field_name}))
    return missing


PATH_VALUES = {
    "id": ("0", "9223372036854775808", "9" * 5000),
    "slug": ("x", "-", "_" * 300, "a" * 5000),
    "str": (*hostile.ESSENTIAL["text"], *hostile.MORE["text"][:6], "a/b", "%2F", ".."),
}


def walk_paths(walker: Walker, target: Target, converters: dict[tuple[str, str], str]) -> None:
    """Each id or token of the target's path replaced by hostile values (those the pattern
    still matches: anything else is the resolver's own 404)."""
    match = resolve(target.path)
    for argument in match.kwargs:
        for value in PATH_VALUES.get(converters.get((target.name, argument), "str"), ()):
            try:
                path = reverse(target.name, kwargs=match.kwargs | {argument: value})
            except NoReverseMatch:
                continue
            walker.send(target, target.baseline, path=path, field_name=f"<{argument}>", value=value)


def walk(walker: Walker, targets: list[Target], *, few: bool = False, paths: bool = True) -> None:
    converters = _converters()
    for target in targets:
        walker.walk(target, few=few)
        if paths and resolve(target.path).kwargs:
            walk_paths(walker, target, converters)


def report(walkers: list[Walker], missing: list[str], refused: list[str] | None = None) -> None:
    findings = [str(finding) for walker in walkers for finding in walker.findings]
    total = sum(walker.requests for walker in walkers)
    baselines = sorted(label for walker in walkers for label in walker.refused_baselines)
    assert (findings, missing, baselines) == ([], [], sorted(refused or [])), (
        f"{len(findings)} of {total} requests went wrong:\n"
        + "\n".join(findings)
        + f"\nforms on the pages that post where no walk does: {missing}"
        + f"\nvalid data refused (the walk would meet only refusals there): {baselines}"
    )


# ---------------------------------------------------------------------------------------------


def test_the_walk_covers_every_route() -> None:
    walked = {name for name, _method in walked_everywhere()}

    assert walked & set(EXCLUDED) == set()
    assert walked | set(EXCLUDED) == resolver_names()
    assert walked >= PUBLIC


def test_every_back_office_form_and_filter_as_the_owner() -> None:
    world = build_world()
    Links(world)
    client = client_for(owner_of(world.shop))
    targets = staff_targets(world, allowed=lambda probe: True)
    missing = fill(targets, discover(client, staff_pages(world, allowed=lambda probe: True)))
    corpus = hostile.Corpus()
    walker = Walker(client, world.shop.pk, corpus)

    walk(walker, targets)

    report([walker], missing, REFUSED_IN_THIS_WORLD)
    assert corpus.untried() == {}, "give these values to some field (hostile.PER_FIELD)"


def test_every_form_a_cashier_may_post() -> None:
    world = build_world()
    Links(world)
    client = client_for(make_member(world.shop, RoleKind.ASSOCIATE))
    may = lambda probe: probe.allowed(ASSOCIATE)  # noqa: E731
    targets = staff_targets(world, allowed=lambda probe: probe.method == "post" and may(probe))
    missing = fill(targets, discover(client, staff_pages(world, allowed=may)))
    walker = Walker(client, world.shop.pk, hostile.Corpus())

    walk(walker, targets, few=True, paths=False)

    report([walker], missing)


@override_settings(PROXY_COUNT=1)  # so that X-Forwarded-For is read, as behind the proxy
@pytest.mark.parametrize("group", list(ROWS))
def test_the_sign_in_pages_the_statement_link_and_the_portal(group: str) -> None:
    world = build_world()
    clients = {
        "visitor": Client(HTTP_ACCEPT_LANGUAGE="en"),
        "owner": client_for(owner_of(world.shop)),
        "customer": portal_client(world.account.customer),
    }
    links = Links(world)
    if group == "portal":
        links.ordering = Ordering(world)
        clients["buyer"] = portal_client(links.ordering.buyer.customer)
    if group == "statement link":  # the checkout the link opened: the test provider's page
        opened = pay_statement(link=resolve_payment_link(links.statement), return_url="/")
        links.checkout = opened.provider_checkout_id
    by_client: dict[str, list[Target]] = {}
    for row in ROWS[group]:
        by_client.setdefault(row.who, []).append(
            _target(
                f"{row.name} {row.method} as {row.who}",
                row.name,
                row.method,
                reverse(row.name, args=row.args(world, links)),
                row.data(world, links),
                refusal_may_write=MAY_WRITE.get(row.name, frozenset()),
                success_status=row.status,
            )
        )
    refused = [f"{row.name} {row.method} as {row.who}" for row in ROWS[group] if row.refused]
    corpus, walkers, missing = hostile.Corpus(), [], []
    for who, targets in by_client.items():
        pages = [(t.path, t.success_status) for t in targets if t.method == "get"]
        missing += fill(targets, discover(clients[who], pages))
        walkers.append(Walker(clients[who], world.shop.pk, corpus))
        walk(walkers[-1], targets)

    report(walkers, missing, refused)
