"""Demo data: one shop, its owner, ~40 customers and six months of account history.

Everything is written through the services, as a shop would have written it, so the demo ledger
passes `ledger_check`. Deterministic (a fixed random seed), so screenshots and docs stay stable.
"""

import datetime as dt
import random
import unicodedata
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ardoise.customers.services import create_customer
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import CreditLimitExceeded
from ardoise.ledger.models import Account
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
MODES = ["cash", "cheque", "card", "transfer"]


@dataclass
class DemoResult:
    shop: Shop
    owner: User
    customers: int


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _key() -> str:
    return f"demo-{uuid.uuid4().hex}"


def build_demo(*, customers: int = 40, months: int = 6, seed: int = 2026) -> DemoResult:
    """All or nothing: a failure half-way leaves no partial demo behind."""
    with transaction.atomic():
        return _build(customers=customers, months=months, seed=seed)


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
    )
    now = timezone.now()
    start = now - dt.timedelta(days=30 * months)
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
        account = ledger.open_account(
            customer=customer, actor=owner, idempotency_key=_key(), credit_limit=limit
        )
        _history(rng, owner, account, start, now, index)
    return DemoResult(shop=shop, owner=owner, customers=customers)


def _history(
    rng: random.Random,
    owner: User,
    account: Account,
    start: dt.datetime,
    now: dt.datetime,
    index: int,
) -> None:
    """Weekly purchases with payments by every mode; a few debtors, a few over their limit."""
    profile = index % 8  # 0: over limit, 1-2: in debt, 3: prepaid, others: up to date
    day = start + dt.timedelta(days=rng.randint(0, 6), hours=rng.randint(8, 11))
    number = 0
    while day < now - dt.timedelta(days=1):
        if profile == 3 and number == 0:
            ledger.record_top_up(
                account=account,
                amount=rng.choice([100_00, 150_00, 200_00]),
                mode="transfer",
                reference="Virement d'avance",
                idempotency_key=_key(),
                actor=owner,
                occurred_at=day,
            )
        number += 1
        total = rng.randint(8_00, 95_00)
        vat = (total * 55 + 527) // 1055  # 5.5 % food VAT included in the price
        reference = f"{day.year}-{index:03d}{number:03d}"
        try:
            charge = ledger.post_charge(
                account=account,
                total=total,
                vat_amount=vat,
                reference=reference,
                idempotency_key=_key(),
                actor=owner,
                occurred_at=day,
                due_on=(day + dt.timedelta(days=30)).date(),
                override_by=owner if profile == 0 and rng.random() < 0.3 else None,
            )
        except CreditLimitExceeded:
            charge = None
        pays = {0: 0.35, 1: 0.6, 2: 0.7, 3: 0.0}.get(profile, 0.95)
        if charge is not None and rng.random() < pays:
            paid_at = min(day + dt.timedelta(days=rng.randint(0, 10)), now - dt.timedelta(hours=1))
            ledger.record_payment(
                account=account,
                amount=charge.total + (rng.choice([0, 0, 0, 5_00]) if profile > 3 else 0),
                mode=rng.choice(MODES),
                reference=f"Règlement {charge.reference}",
                idempotency_key=_key(),
                actor=owner,
                occurred_at=paid_at,
            )
        if charge is not None and rng.random() < 0.04:
            ledger.issue_credit_note(
                charge=charge,
                amount=min(charge.total, 5_00),
                reason="Produit abîmé",
                idempotency_key=_key(),
                actor=owner,
                occurred_at=day + dt.timedelta(hours=2),
            )
        day += dt.timedelta(days=rng.choice([6, 7, 7, 8, 14]))
    if profile == 0:
        # Lowered after the fact: the customer is now over the new limit.
        ledger.change_credit_limit(
            account=account,
            credit_limit=50_00,
            actor=owner,
            idempotency_key=_key(),
            reason="Retards de paiement",
        )
