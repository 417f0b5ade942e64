"""Statement use cases people start: email a statement, start or resume a bulk run, pay by
link, change the settings. Issuing itself is in `statements.issuing` (the worker issues too).

Every write that belongs together happens in one transaction; email, PDF and provider calls
happen after it, in a background task (`statements.tasks`, running `statements.delivery`),
never inside it.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import Account
from ardoise.payments import online as payments
from ardoise.payments.errors import ChargesBeingPaid
from ardoise.payments.models import Checkout
from ardoise.shops.models import Shop, User
from ardoise.statements.errors import PROVIDER_DOWN, InvalidEmail, NotPayableOnline
from ardoise.statements.issuing import record_send
from ardoise.statements.models import (
    RECENT_STATEMENT,
    ItemStatus,
    LineKind,
    RunStatus,
    Statement,
    StatementLink,
    StatementRun,
    StatementRunItem,
    StatementSend,
)
from ardoise.statements.selectors import (
    SKIP_RECENT,
    PaymentState,
    online_payment_label,
    payment_state,
    recently_sent_account_ids,
)
from ardoise.statements.tasks import run_statements_task, send_statement_task


def _check_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidEmail() from error
    return email


def queue_statement_email(
    *, statement: Statement, email: str, actor: User | None, idempotency_key: str
) -> StatementSend:
    """Log a send as "queued" and, once committed, hand it to the background task.

    Nothing leaves the database here: the task renders the PDF and talks to the SMTP server.
    The same key returns the first send (a double click queues one email).
    """
    email = _check_email(email)
    # savepoint=False: composable; inside a caller's transaction the send and its task go or stay
    # with it (a rolled-back caller enqueues nothing).
    with transaction.atomic(savepoint=False):
        send, created = record_send(
            statement=statement, email=email, actor=actor, idempotency_key=idempotency_key
        )
        if created:
            send_id = send.pk
            transaction.on_commit(lambda: send_statement_task.enqueue(send_id))
    return send


# --- Bulk runs ----------------------------------------------------------------------------------


def start_statement_run(
    *,
    shop: Shop,
    minimum_debt: int,
    actor: User | None,
    idempotency_key: str,
    include_recent: bool = False,
) -> StatementRun:
    """One job: a statement to every customer who owes at least `minimum_debt` now.

    Creates the run and one item per account in one transaction, then queues the task after
    commit. A customer who was sent a statement in the last `RECENT_STATEMENT` (or is still in
    the hands of a run started since) is listed as skipped, unless `include_recent`: running
    the job twice by mistake sends nobody a second statement. The same key returns the first run.
    """
    minimum_debt = max(int(minimum_debt), 1)
    first = StatementRun.objects.filter(shop_id=shop.pk, idempotency_key=idempotency_key).first()
    if first is not None:
        if first.minimum_debt != minimum_debt:
            raise IdempotencyConflict()  # the key of another run: the page was out of date
        return first
    # durable: a view's use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        run, created = StatementRun.objects.get_or_create(
            shop_id=shop.pk,
            idempotency_key=idempotency_key,
            defaults={"minimum_debt": minimum_debt, "created_by": actor},
        )
        if not created:
            return run
        account_ids = list(
            Account.objects.filter(
                shop_id=shop.pk, balance__lte=-minimum_debt, customer__is_archived=False
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
        recent: set[int] = set()
        if not include_recent:
            since = timezone.now() - RECENT_STATEMENT
            recent = recently_sent_account_ids(shop.pk, since=since) & set(account_ids)
        StatementRunItem.objects.bulk_create(
            [
                StatementRunItem(shop_id=shop.pk, run=run, account_id=pk)
                if pk not in recent
                else StatementRunItem(
                    shop_id=shop.pk,
                    run=run,
                    account_id=pk,
                    status=ItemStatus.SKIPPED,
                    reason=SKIP_RECENT,
                )
                for pk in account_ids
            ],
            batch_size=500,
        )
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor else None,
            action="statements.run.started",
            target=run,
            data={
                "minimum_debt": minimum_debt,
                "customers": len(account_ids),
                "skipped_recent": len(recent),
                "include_recent": include_recent,
            },
        )
        _enqueue_run(run.pk)
    return run


def _enqueue_run(run_id: int) -> None:
    transaction.on_commit(lambda: run_statements_task.enqueue(run_id))


def resume_statement_run(*, run: StatementRun, actor: User | None) -> StatementRun:
    """Run again: customers not yet sent (waiting or failed) are tried again; none twice."""
    # durable: a view's use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        StatementRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, finished_at=None)
        record_event(
            shop_id=run.shop_id,
            actor_id=actor.pk if actor else None,
            action="statements.run.resumed",
            target=run,
        )
        _enqueue_run(run.pk)
    run.refresh_from_db()
    return run


# --- Paying by link -----------------------------------------------------------------------------


def pay_statement(*, link: StatementLink, return_url: str) -> Checkout:
    """Open (or reuse) the online checkout for the statement's full amount due.

    Refused (`NotPayableOnline`, with the reason) when the statement is paid or settled, when
    nothing is due, when the amount is above the shop's online maximum, or when the shop takes
    no online payment. When it is approved, the payment is earmarked for the statement: the
    credits the statement counted and the payment settle every charge it listed, oldest first,
    whatever the shop's allocation setting; only the rest goes to the balance. The payment
    reads "Statement No. 3 paid online" in the shop's language, not its internal reference.
    """
    return pay_statement_online(statement=link.statement, return_url=return_url)


def pay_statement_online(*, statement: Statement, return_url: str) -> Checkout:
    """`pay_statement` for a statement the caller already holds (the portal's statements page,
    scoped to the signed-in customer): the same checkout, the same refusals."""
    state = payment_state(statement)
    if state.state not in {PaymentState.PAYABLE, PaymentState.PENDING}:
        raise NotPayableOnline(state.message)
    lines = list(statement.lines.order_by("position").values_list("kind", "charge_id", "credit_id"))
    shop = Shop.objects.get(pk=statement.shop_id)
    try:
        return payments.start_checkout(
            account=statement.account,
            amount=state.amount,
            reference=statement.payment_reference,
            charge_ids=[charge for kind, charge, _ in lines if kind == LineKind.CHARGE and charge],
            credit_ids=[credit for kind, _, credit in lines if kind == LineKind.CREDIT and credit],
            label=online_payment_label(statement.number, language=shop.language),
            return_url=return_url,
        )
    except payments.OnlinePaymentUnavailable as error:
        raise NotPayableOnline(PROVIDER_DOWN) from error
    except ChargesBeingPaid as error:
        raise NotPayableOnline(error.message, **error.params) from error


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
    # durable: a view's use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        for name, value in fields.items():
            setattr(shop, name, value)
        shop.save(update_fields=list(fields) or None)
        payments.set_online_provider(shop_id=shop.pk, provider=provider, actor=actor)
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor else None,
            action="statements.settings.changed",
            target=shop,
            data={name: str(value) for name, value in fields.items() if name != "logo"},
        )
    return shop
