"""Statement use cases: issue a snapshot, email it after commit, run bulk sends, pay by link.

Every write that belongs together happens in one transaction; email, PDF and provider calls
happen after it, in a background task (`statements.tasks`), never inside it. Tasks take ids,
re-read state and claim their work with a conditional UPDATE, so running one twice is harmless.
"""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.customers.models import Customer
from ardoise.ledger.models import Account
from ardoise.ledger.selectors import open_charges, unapplied_credits
from ardoise.payments import online as payments
from ardoise.payments.models import Checkout
from ardoise.shops.models import Shop, User
from ardoise.statements.errors import InvalidEmail, NotPayableOnline
from ardoise.statements.models import (
    ItemStatus,
    LineKind,
    RunStatus,
    SendStatus,
    Statement,
    StatementCounter,
    StatementLine,
    StatementLink,
    StatementRun,
    StatementRunItem,
    StatementSend,
)
from ardoise.statements.selectors import PaymentState, payment_state

logger = logging.getLogger(__name__)

# A bulk item left "sending" by a worker that died before its email was handed to the SMTP
# server may be claimed again after this long; one whose email was being sent is never retried
# automatically (it may have gone out): the run page lists it for a person to check.
STALE_CLAIM = dt.timedelta(minutes=10)


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _address_lines(customer: Customer) -> str:
    lines = [customer.name]
    if customer.company:
        lines.append(customer.company)
    lines += [line.strip() for line in customer.address.splitlines() if line.strip()]
    town = f"{customer.postal_code} {customer.city}".strip()
    if town:
        lines.append(town)
    return "\n".join(lines)


def snapshot_account(
    *, account: Account, customer: Customer, when: dt.datetime | None = None
) -> tuple[Statement, list[StatementLine]]:
    """The statement of `account` as it stands now, not saved and not numbered.

    Lines: every open charge (amount due) then every unapplied credit (amount available),
    oldest first. Amount due = charges - credits, never below zero (a customer in credit owes
    nothing). Three queries.
    """
    charges = list(
        open_charges(account).values(
            "id",
            "kind",
            "reference",
            "description",
            "issued_on",
            "due_on",
            "total",
            "open_amount",
        )
    )
    credits = list(
        unapplied_credits(account).values(
            "id", "kind", "reference", "reason", "received_on", "amount", "unapplied_amount"
        )
    )
    total_charges = sum(charge["open_amount"] for charge in charges)
    total_credits = sum(credit["unapplied_amount"] for credit in credits)
    statement = Statement(
        shop_id=account.shop_id,
        account=account,
        customer=customer,
        number=0,
        issued_at=when or timezone.now(),
        currency=account.currency,
        language=customer.language or "fr",
        customer_name=customer.name,
        customer_address=_address_lines(customer),
        customer_email=customer.email,
        total_charges=total_charges,
        total_credits=total_credits,
        balance=account.balance,
        amount_due=max(total_charges - total_credits, 0),
        credit_limit=account.credit_limit,
    )
    # Model instances from ids and values: 500 lines without loading 500 Charge objects.
    lines = [
        StatementLine(
            shop_id=account.shop_id,
            statement=statement,
            position=position,
            kind=LineKind.CHARGE,
            charge_id=charge["id"],
            document_kind=charge["kind"],
            reference=charge["reference"],
            description=charge["description"][:200],
            issued_on=charge["issued_on"],
            due_on=charge["due_on"],
            total=charge["total"],
            open_amount=charge["open_amount"],
        )
        for position, charge in enumerate(charges, start=1)
    ]
    lines += [
        StatementLine(
            shop_id=account.shop_id,
            statement=statement,
            position=position,
            kind=LineKind.CREDIT,
            credit_id=credit["id"],
            document_kind=credit["kind"],
            reference=credit["reference"],
            description=credit["reason"][:200],
            issued_on=credit["received_on"],
            total=credit["amount"],
            open_amount=credit["unapplied_amount"],
        )
        for position, credit in enumerate(credits, start=len(charges) + 1)
    ]
    return statement, lines


def _next_number(shop_id: int) -> int:
    """Gap-free: the counter row changes in the statement's transaction and is locked till then."""
    if not StatementCounter.objects.filter(shop_id=shop_id).update(
        last_number=F("last_number") + 1
    ):
        StatementCounter.objects.get_or_create(shop_id=shop_id)
        StatementCounter.objects.filter(shop_id=shop_id).update(last_number=F("last_number") + 1)
    return StatementCounter.objects.get(shop_id=shop_id).last_number


def issue_statement(*, account: Account, actor: User | None, idempotency_key: str) -> Statement:
    """Store a numbered snapshot of everything the account owes and holds, now.

    Locks the account row first (every ledger write does too), so the lines, totals and
    balance are one consistent moment; then the shop's counter row, so numbers are gap-free
    and unique per shop. The same key returns the first statement.
    """
    existing = Statement.objects.filter(shop_id=account.shop_id, idempotency_key=idempotency_key)
    try:
        with transaction.atomic(durable=True):
            found = existing.first()
            if found is not None:
                return found
            locked = Account.objects.select_for_update().get(pk=account.pk)
            customer = Customer.objects.get(pk=locked.customer_id)
            statement, lines = snapshot_account(account=locked, customer=customer)
            statement.number = _next_number(account.shop_id)
            statement.created_by = actor
            statement.idempotency_key = idempotency_key
            statement.save()
            StatementLine.objects.bulk_create(lines, batch_size=500)
            record_event(
                shop_id=account.shop_id,
                actor_id=_actor_id(actor),
                action="statements.statement.issued",
                target=statement,
                data={
                    "number": statement.number,
                    "amount_due": statement.amount_due,
                    "lines": len(lines),
                },
            )
    except IntegrityError:
        # The same key, issued at the same moment by another request: it won, take its result.
        found = existing.first()
        if found is None:
            raise
        return found
    return statement


def _check_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidEmail() from error
    return email


def _create_send(
    *, statement: Statement, email: str, actor: User | None, idempotency_key: str
) -> tuple[StatementSend, bool]:
    send, created = StatementSend.objects.get_or_create(
        shop_id=statement.shop_id,
        idempotency_key=idempotency_key,
        defaults={
            "statement": statement,
            "customer_id": statement.customer_id,
            "email": email,
            "actor": actor,
        },
    )
    if created:
        record_event(
            shop_id=statement.shop_id,
            actor_id=_actor_id(actor),
            action="statements.statement.queued",
            target=send,
            data={"statement": statement.pk, "email": email},
        )
    return send, created


def queue_statement_email(
    *, statement: Statement, email: str, actor: User | None, idempotency_key: str
) -> StatementSend:
    """Log a send as "queued" and, once committed, hand it to the background task.

    Nothing leaves the database here: the task renders the PDF and talks to the SMTP server.
    The same key returns the first send (a double click queues one email).
    """
    email = _check_email(email)
    from ardoise.statements.tasks import send_statement_task

    with transaction.atomic():
        send, created = _create_send(
            statement=statement, email=email, actor=actor, idempotency_key=idempotency_key
        )
        if created:
            send_id = send.pk
            transaction.on_commit(lambda: send_statement_task.enqueue(send_id))
    return send


def deliver_statement_send(*, send_id: int) -> StatementSend:
    """Send one queued email (the task's work). Claims it queued -> sending first, so a second
    run of the task sends nothing; records sent, or failed with the reason."""
    from ardoise.statements.emails import build_statement_email

    claimed = StatementSend.objects.filter(pk=send_id, status=SendStatus.QUEUED).update(
        status=SendStatus.SENDING
    )
    send = StatementSend.objects.select_related("statement", "statement__shop").get(pk=send_id)
    if not claimed:
        return send
    with_link = False
    try:
        message, with_link = build_statement_email(send)
        message.send()
    except Exception as error:  # any failure (SMTP, rendering) is logged on the send, with why
        logger.warning("statement send %s failed: %s", send.pk, error)
        status, reason = SendStatus.FAILED, f"{type(error).__name__}: {error}"[:1000]
    else:
        status, reason = SendStatus.SENT, ""
    StatementSend.objects.filter(pk=send.pk, status=SendStatus.SENDING).update(
        status=status, reason=reason, finished_at=timezone.now(), with_payment_link=with_link
    )
    send.refresh_from_db()
    return send


# --- Bulk runs ----------------------------------------------------------------------------------


def start_statement_run(
    *, shop: Shop, minimum_debt: int, actor: User | None, idempotency_key: str
) -> StatementRun:
    """One job: a statement to every customer who owes at least `minimum_debt` now.

    Creates the run and one item per account in one transaction, then queues the task after
    commit. The same key returns the first run.
    """
    minimum_debt = max(int(minimum_debt), 1)
    with transaction.atomic():
        run, created = StatementRun.objects.get_or_create(
            shop_id=shop.pk,
            idempotency_key=idempotency_key,
            defaults={"minimum_debt": minimum_debt, "created_by": actor},
        )
        if not created:
            return run
        account_ids = Account.objects.filter(
            shop_id=shop.pk, balance__lte=-minimum_debt, customer__is_archived=False
        ).values_list("id", flat=True)
        StatementRunItem.objects.bulk_create(
            [StatementRunItem(shop_id=shop.pk, run=run, account_id=pk) for pk in account_ids],
            batch_size=500,
        )
        record_event(
            shop_id=shop.pk,
            actor_id=_actor_id(actor),
            action="statements.run.started",
            target=run,
            data={"minimum_debt": minimum_debt, "customers": len(account_ids)},
        )
        _enqueue_run(run.pk)
    return run


def _enqueue_run(run_id: int) -> None:
    from ardoise.statements.tasks import run_statements_task

    transaction.on_commit(lambda: run_statements_task.enqueue(run_id))


def resume_statement_run(*, run: StatementRun, actor: User | None) -> StatementRun:
    """Run again: customers not yet sent (waiting or failed) are tried again; none twice."""
    with transaction.atomic():
        StatementRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, finished_at=None)
        record_event(
            shop_id=run.shop_id,
            actor_id=_actor_id(actor),
            action="statements.run.resumed",
            target=run,
        )
        _enqueue_run(run.pk)
    run.refresh_from_db()
    return run


def _claim_item(item_id: int) -> bool:
    now = timezone.now()
    claim = {"status": ItemStatus.SENDING, "attempts": F("attempts") + 1, "claimed_at": now}
    items = StatementRunItem.objects.filter(pk=item_id)
    if items.filter(status__in=[ItemStatus.PENDING, ItemStatus.FAILED]).update(**claim):
        return True
    stale = (
        items.filter(status=ItemStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
        .select_related("send")
        .first()
    )
    if stale is None or (stale.send is not None and stale.send.status != SendStatus.QUEUED):
        return False
    # Compare-and-swap on the claim time: of two workers reclaiming it, one wins.
    return bool(
        items.filter(status=ItemStatus.SENDING, claimed_at=stale.claimed_at).update(**claim)
    )


def _finish_item(item: StatementRunItem, status: str, reason: str = "") -> None:
    item.status, item.reason = status, reason
    item.save(update_fields=["status", "reason", "statement", "send"])


def _process_item(run: StatementRun, item_id: int) -> None:
    if not _claim_item(item_id):
        return
    item = StatementRunItem.objects.select_related("account__customer").get(pk=item_id)
    try:
        customer = item.account.customer
        if not customer.email:
            _finish_item(item, ItemStatus.SKIPPED, "no email address")
            return
        statement = item.statement
        if statement is None:
            account = Account.objects.get(pk=item.account_id)
            if account.balance >= 0:
                _finish_item(item, ItemStatus.SKIPPED, "owes nothing now")
                return
            statement = item.statement = issue_statement(
                account=account,
                actor=run.created_by,
                idempotency_key=f"run:{run.pk}:account:{account.pk}",
            )
        send = item.send
        if send is None or send.status == SendStatus.FAILED:
            send, _ = _create_send(
                statement=statement,
                email=customer.email,
                actor=run.created_by,
                idempotency_key=f"run:{run.pk}:item:{item.pk}:{item.attempts}",
            )
            item.send = send
        item.save(update_fields=["statement", "send"])
        send = deliver_statement_send(send_id=send.pk)
    except Exception as error:  # one customer's failure must not stop the run
        logger.exception("statement run %s item %s failed", run.pk, item_id)
        _finish_item(item, ItemStatus.FAILED, f"{type(error).__name__}: {error}"[:1000])
        return
    if send.status == SendStatus.SENT:
        _finish_item(item, ItemStatus.SENT)
    else:
        _finish_item(item, ItemStatus.FAILED, send.reason or send.status)


def process_statement_run(*, run_id: int) -> StatementRun:
    """The bulk task's work: each waiting or failed customer once, then the run is finished.

    Safe to run twice, even at once: each item is claimed by a conditional UPDATE before its
    statement is issued and emailed, so no customer gets two statements from one run.
    """
    StatementRun.objects.filter(pk=run_id, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    StatementRun.objects.filter(pk=run_id).exclude(status=RunStatus.FINISHED).update(
        status=RunStatus.RUNNING
    )
    run = StatementRun.objects.select_related("created_by").get(pk=run_id)
    candidates = list(
        StatementRunItem.objects.filter(run_id=run_id)
        .exclude(status__in=[ItemStatus.SENT, ItemStatus.SKIPPED])
        .order_by("id")
        .values_list("id", flat=True)
    )
    for item_id in candidates:
        _process_item(run, item_id)
    busy = StatementRunItem.objects.filter(
        run_id=run_id, status__in=[ItemStatus.PENDING, ItemStatus.SENDING]
    ).exists()
    if not busy:
        StatementRun.objects.filter(pk=run_id).update(
            status=RunStatus.FINISHED, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


# --- Paying by link -----------------------------------------------------------------------------


def pay_statement(*, link: StatementLink, return_url: str) -> Checkout:
    """Open (or reuse) the online checkout for the statement's full amount due.

    Refused (`NotPayableOnline`, with the reason) when the statement is paid or settled, when
    nothing is due, when the amount is above the shop's online maximum, or when the shop takes
    no online payment. The checkout settles the statement's charges first when it is approved.
    """
    statement = link.statement
    state = payment_state(statement)
    if state.state not in {PaymentState.PAYABLE, PaymentState.PENDING}:
        raise NotPayableOnline(state.message)
    charge_ids = list(
        statement.lines.filter(kind=LineKind.CHARGE)
        .order_by("position")
        .values_list("charge_id", flat=True)
    )
    try:
        return payments.start_checkout(
            account=statement.account,
            amount=statement.amount_due,
            reference=statement.payment_reference,
            charge_ids=[pk for pk in charge_ids if pk is not None],
            return_url=return_url,
        )
    except payments.OnlinePaymentUnavailable as error:
        raise NotPayableOnline() from error


# --- Settings -----------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "statement_link_days",
    "online_payment_max",
    "show_credit_limit_on_statements",
    "legal_name",
    "address",
    "siret",
    "vat_number",
    "email",
    "phone",
    "logo",
)


def update_statement_settings(
    *, shop: Shop, actor: User | None, provider: str, **fields: Any
) -> Shop:
    """Statements and online payment: link expiry, online maximum, credit limit shown, the
    shop's identity and logo, and the online payment provider."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(shop, name, value)
        shop.save(update_fields=list(fields) or None)
        payments.set_online_provider(shop_id=shop.pk, provider=provider, actor_id=_actor_id(actor))
        record_event(
            shop_id=shop.pk,
            actor_id=_actor_id(actor),
            action="statements.settings.changed",
            target=shop,
            data={name: str(value) for name, value in fields.items() if name != "logo"},
        )
    return shop
