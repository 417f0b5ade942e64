"""Demo data: one shop, its owner, a farm catalogue, ~40 customers and six months of sales.

Everything is written through the services, as a shop would have written it: orders with lines,
delivered (the invoice and its charge), settled by every mode (cash, cheque, card, transfer, the
shop's own mode) with some over- and under-payments, prepaid customers whose deposit pays their
sales (automatic allocation is on, as in every shop), a few refunds and a few orders not yet
delivered. So the demo ledger passes `ledger_check`.
Deterministic (a fixed random seed), so screenshots and docs stay stable.
"""

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ardoise.core.forms import new_key
from ardoise.customers.services import create_customer
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Order
from ardoise.invoicing.totals import LineInput
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import CreditLimitExceeded
from ardoise.ledger.models import Account, Charge
from ardoise.payments import services as payments
from ardoise.shops.models import Shop, User
from ardoise.shops.services import create_shop

DEMO_EMAIL = "owner@demo.ardoise.fr"
DEMO_PASSWORD = "ardoise-demo"

FIRST_NAMES = [
    "Camille",
    "Louise",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jeanne",
    "Alice",
    "Juliette",
    "Zoé",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Raphaël",
    "Lucas",
    "Adam",
    "Théo",
    "Nathan",
    "Élodie",
    "Margaux",
    "Aurélien",
    "Bastien",
    "Céline",
    "Étienne",
    "Françoise",
    "Gérard",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
]
COMPANIES = [
    "Restaurant Le Petit Zinc",
    "Bistrot des Halles",
    "Cantine du Marché",
    "Épicerie Fine Lambert",
    "Hôtel des Voyageurs",
    "Crèche Les Lutins",
    "Traiteur Saveurs d'Antan",
    "Café de la Poste",
]
CITIES = [
    ("69001", "Lyon"),
    ("69100", "Villeurbanne"),
    ("38000", "Grenoble"),
    ("42000", "Saint-Étienne"),
    ("01000", "Bourg-en-Bresse"),
    ("69400", "Villefranche-sur-Saône"),
    ("26000", "Valence"),
]
STREETS = [
    "rue de la République",
    "avenue Jean Jaurès",
    "place Bellecour",
    "chemin des Vignes",
    "rue Victor Hugo",
    "boulevard des Belges",
    "route de Genas",
    "impasse des Tilleuls",
]


@dataclass
class DemoResult:
    shop: Shop
    owner: User
    customers: int


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _key() -> str:
    return f"demo-{new_key()}"


def build_demo(*, customers: int = 40, months: int = 6, seed: int = 2026) -> DemoResult:
    """All or nothing: a failure half-way leaves no partial demo behind."""
    with transaction.atomic():
        return _build(customers=customers, months=months, seed=seed)


PRODUCTS = [
    ("Tomates anciennes", "kg", "5.8000", "5.5"),
    ("Pommes de terre", "kg", "1.9500", "5.5"),
    ("Carottes", "kg", "2.4000", "5.5"),
    ("Courgettes", "kg", "3.1500", "5.5"),
    ("Salade batavia", "piece", "1.5000", "5.5"),
    ("Oeufs plein air", "dozen", "4.2000", "5.5"),
    ("Poulet fermier", "kg", "12.9000", "5.5"),
    ("Fromage de chèvre", "piece", "3.6000", "5.5"),
    ("Miel de châtaignier 500 g", "piece", "9.5000", "5.5"),
    ("Jus de pomme 1 L", "l", "3.9000", "5.5"),
    ("Pommes Reinette", "kg", "2.8500", "5.5"),
    ("Panier de saison", "crate", "25.0000", "5.5"),
    ("Bouquet de fleurs", "bunch", "12.0000", "10"),
    ("Vin rouge Coteaux du Lyonnais", "piece", "8.9000", "20"),
    ("Panier en osier", "piece", "18.0000", "20"),
]
SETTLE_MODES = ["cash", "cheque", "card", "transfer", "cash", "card", "titres_restaurant"]


def _build(*, customers: int, months: int, seed: int) -> DemoResult:
    rng = random.Random(seed)
    owner = User.objects.create_user(
        DEMO_EMAIL, DEMO_PASSWORD, first_name="Hélène", last_name="Vasseur"
    )
    shop = create_shop(
        name="Ferme des Trois Chênes",
        slug="ferme-des-trois-chenes",
        owner=owner,
        legal_name="EARL des Trois Chênes",
        siret="81234567800012",
        vat_number="FR40812345678",
        address="12 chemin des Vignes\n69390 Charly",
        email="contact@troischenes.example",
        phone="04 78 00 00 00",
        default_credit_limit=300_00,
        # Credits settle the oldest open charges automatically, as in every new shop.
        auto_allocate=True,
    )
    payments.add_payment_mode(shop_id=shop.pk, label="Titres-restaurant", actor=owner)
    products = [
        invoicing.create_product(
            shop_id=shop.pk,
            actor=owner,
            name=name,
            unit=unit,
            unit_price=Decimal(price),
            vat_rate=Decimal(vat),
        )
        for name, unit, price, vat in PRODUCTS
    ]
    now = timezone.now()
    start = now - dt.timedelta(days=30 * months)
    accounts: list[Account] = []
    for index in range(customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = COMPANIES[index % len(COMPANIES)] if index % 5 == 0 else ""
        postal_code, city = rng.choice(CITIES)
        customer = create_customer(
            shop_id=shop.pk,
            actor_id=owner.pk,
            name=f"{first} {last}",
            company=company,
            email=_ascii(f"{first}.{last}.{index}@example.fr".lower().replace(" ", "")),
            phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)}",
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            postal_code=postal_code,
            city=city,
        )
        limit = rng.choice([None, 0, 150_00, 300_00, 300_00, 500_00, 1000_00])
        if company:
            limit = 2000_00
        accounts.append(
            ledger.open_account(
                customer=customer, actor=owner, idempotency_key=_key(), credit_limit=limit
            )
        )
    # Invoice numbers follow the calendar, so every customer's sales are played in date order.
    plan: list[tuple[dt.datetime, int]] = []
    for index in range(customers):
        day = start + dt.timedelta(days=rng.randint(0, 6), hours=rng.randint(8, 11))
        while day < now - dt.timedelta(days=1):
            plan.append((day, index))
            day += dt.timedelta(days=rng.choice([7, 14, 14, 21]))
    plan.sort()
    sales = [0] * customers
    for day, index in plan:
        _sale(rng, owner, accounts[index], products, day, now, index, sales[index])
        sales[index] += 1
    for index in range(0, customers, 5):  # a few orders for the coming days, not delivered
        order = _order(rng, owner, accounts[index], products, now)
        if index == 10:
            invoicing.cancel_order(order=order, actor=owner, reason="Client absent")
    for index, account in enumerate(accounts):
        if index % 8 == 0:
            # Lowered after the fact: the customer is now over the new limit.
            ledger.change_credit_limit(
                account=account,
                credit_limit=50_00,
                actor=owner,
                idempotency_key=_key(),
                reason="Retards de paiement",
            )
    return DemoResult(shop=shop, owner=owner, customers=customers)


def _order(
    rng: random.Random, owner: User, account: Account, products: list, day: dt.datetime
) -> Order:
    lines = []
    for product in rng.sample(products, rng.randint(1, 4)):
        weighed = product.unit in {"kg", "l"}
        quantity = Decimal(rng.randint(250, 3000)) / 1000 if weighed else Decimal(rng.randint(1, 4))
        lines.append(
            LineInput(
                description=product.name,
                quantity=quantity,
                unit_price=product.unit_price,
                vat_rate=product.vat_rate,
                unit=product.unit,
                product_id=product.pk,
            )
        )
    return invoicing.create_order(
        account=account,
        lines=lines,
        actor=owner,
        idempotency_key=_key(),
        ordered_on=timezone.localdate(day),
    )


def _sale(
    rng: random.Random,
    owner: User,
    account: Account,
    products: list,
    day: dt.datetime,
    now: dt.datetime,
    index: int,
    number: int,
) -> None:
    """An order, delivered, then settled by a mode; a few debtors, a few over their limit."""
    profile = index % 8  # 0: over limit, 1-2: in debt, 3: prepaid, others: up to date
    if profile == 3 and number == 0:
        ledger.record_top_up(
            account=account,
            amount=rng.choice([100_00, 150_00, 200_00]),
            mode="transfer",
            reference="Virement d'avance",
            idempotency_key=_key(),
            actor=owner,
            occurred_at=day - dt.timedelta(hours=1),
        )
    order = _order(rng, owner, account, products, day)
    try:
        invoice = invoicing.deliver_order(
            order=order,
            actor=owner,
            idempotency_key=_key(),
            delivered_at=day,
            override_by=owner if profile == 0 and rng.random() < 0.3 else None,
        )
    except CreditLimitExceeded:
        invoicing.cancel_order(order=order, actor=owner, reason="Plafond de crédit atteint")
        return
    # With automatic allocation a prepaid balance has already paid what it could.
    owed = Charge.objects.filter(pk=invoice.charge_id).values_list("open_amount", flat=True).get()
    pays = {0: 0.35, 1: 0.6, 2: 0.7, 3: 1.0}.get(profile, 0.95)
    if owed and rng.random() < pays:
        paid_at = min(day + dt.timedelta(days=rng.randint(0, 10)), now - dt.timedelta(hours=1))
        mode = SETTLE_MODES[rng.randrange(len(SETTLE_MODES))]
        extra = rng.choice([0, 0, 0, 5_00]) if profile > 3 else 0
        amount = owed + extra if profile > 2 else owed - rng.choice([0, 5_00])
        if amount > 0:
            payments.settle_invoice(
                invoice=invoice,
                mode=mode,
                amount=amount,
                idempotency_key=_key(),
                actor=owner,
                occurred_at=paid_at,
            )
    if rng.random() < 0.04:
        ledger.issue_credit_note(
            charge=invoice.charge,
            amount=min(invoice.total, 5_00),
            reason="Produit abîmé",
            idempotency_key=_key(),
            actor=owner,
            occurred_at=day + dt.timedelta(hours=2),
        )
