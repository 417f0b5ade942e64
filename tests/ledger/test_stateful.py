"""Random sequences of every ledger service on a few accounts, every invariant after each step.

The machine keeps its own model of each account's balance and predicts, before each call, whether
the ledger must admit or refuse it (limit, override permission, credit note size, refund to the
account, allocation bounds, double reversal, reused key). A refusal must leave nothing written; an
admitted call must move the balance by exactly the modelled amount. After every step:

- the cached balance equals the model and the sum of the account's postings;
- Balance = Deposit - Debt, Debt = sum of open amounts, Deposit = sum of unapplied amounts;
- a charge never has more VAT or net credited than it carried;
- `check_ledger` finds nothing (entries sum to zero, open and unapplied amounts match the
  allocations, balance_after is the running sum, no limit breached without an override,
  `reserved` is the sum of held reservations, none left held on a posted charge);
- reservations (reserve within the limit or the positive balance, release, consume then charge
  as a delivery does) move `reserved` by exactly the modelled amount and never the balance; the
  charge guard counts them.

Each example runs inside a savepoint that is rolled back at its end, after `manage.py
ledger_check` has passed, so examples start from an empty ledger.
"""

from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import (
    AlreadyReversed,
    CreditLimitExceeded,
    CreditNoteTooLarge,
    IdempotencyConflict,
    InvalidAllocation,
    InvalidAmount,
    LedgerError,
    NotEnoughToReserve,
    NotReversible,
    OverrideNotAllowed,
    RefundMustGoToAccount,
)
from ardoise.ledger.models import (
    Account,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
    EntryKind,
    JournalEntry,
    Posting,
)
from ardoise.ledger.selectors import net_allocations
from ardoise.shops.models import RoleKind
from tests.factories import key, make_account, make_member, make_shop, owner_of
from tests.support import nothing_written

pytestmark = pytest.mark.django_db

AMOUNTS = st.one_of(st.integers(1, 400), st.integers(1, 80_00))
LIMITS = st.sampled_from([None, 0, 50_00, 150_00])
EARMARKS = st.sampled_from(["", "", "", "order:1", "order:2"])


@dataclass
class Call:
    """A call that was admitted, to be retried with its key (same request, or another one)."""

    run: Callable[[str, Any], Any]
    key: str
    value: Any
    result_pk: int
    conflicting_value: Any | None


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.accounts: list[Account] = []
        self.balances: dict[int, int] = {}
        self.calls: list[Call] = []
        self.unsettled: set[int] = set()  # accounts with an unallocation not re-applied yet
        self.reserved: dict[int, int] = {}
        self.held: dict[str, tuple[int, int]] = {}  # reference -> (account pk, amount)
        self.references = 0

    def teardown(self) -> None:
        try:
            if self.accounts:
                out = StringIO()
                call_command("ledger_check", shop=self.shop.pk, stdout=out)
                assert out.getvalue().startswith("ledger OK")
        finally:
            transaction.savepoint_rollback(self.savepoint)

    # --- set-up ---------------------------------------------------------------------------------

    @initialize(auto_allocate=st.booleans(), limits=st.lists(LIMITS, min_size=2, max_size=3))
    def open_shop(self, auto_allocate: bool, limits: list[int | None]) -> None:
        self.shop = make_shop(auto_allocate=auto_allocate)
        self.owner = owner_of(self.shop)  # may override a limit
        self.manager = make_member(self.shop, RoleKind.MANAGER)  # may not
        for limit in limits:
            account = make_account(self.shop, credit_limit=limit)
            self.accounts.append(account)
            self.balances[account.pk] = 0
            self.reserved[account.pk] = 0

    def _account(self, index: int) -> Account:
        account = self.accounts[index % len(self.accounts)]
        account.refresh_from_db()
        return account

    def _pks(self, model: Any) -> list[int]:
        return list(
            model.objects.filter(shop=self.shop).order_by("pk").values_list("pk", flat=True)
        )

    def _pick(self, data: st.DataObject, model: Any) -> Any:
        """One row of the shop (a charge, a credit, a journal entry), or None if there is none."""
        pks = self._pks(model)
        return model.objects.get(pk=data.draw(st.sampled_from(pks))) if pks else None

    def _admit(self, run: Callable[[str, Any], Any], value: Any, conflicting: Any = None) -> Any:
        call_key = key()
        result = run(call_key, value)
        self.calls.append(Call(run, call_key, value, result.pk, conflicting))
        return result

    # --- rules ----------------------------------------------------------------------------------

    @rule(
        index=st.integers(0, 2),
        total=AMOUNTS,
        vat_share=st.sampled_from([0, 0.055, 0.2]),
        override=st.sampled_from([None, None, None, "owner", "manager"]),
        debit_note=st.booleans(),
        earmark=EARMARKS,
        beyond_limit=st.sampled_from([None, None, 0, 1]),
    )
    def post_charge(
        self,
        index: int,
        total: int,
        vat_share: float,
        override: str | None,
        debit_note: bool,
        earmark: str,
        beyond_limit: int | None,
    ) -> None:
        account = self._account(index)
        if beyond_limit is not None and account.credit_limit is not None:
            # Exactly up to the limit (admitted) or one cent beyond it (refused).
            total = max(account.balance + account.credit_limit - account.reserved + beyond_limit, 1)
        override_by = {"owner": self.owner, "manager": self.manager}.get(override or "")
        vat = 0 if debit_note else total * int(vat_share * 1000) // 1200

        def run(call_key: str, amount: int) -> Charge:
            if debit_note:
                return ledger.post_debit_adjustment(
                    account=account,
                    amount=amount,
                    reason="fee",
                    idempotency_key=call_key,
                    actor=None,
                    override_by=override_by,
                )
            return ledger.post_charge(
                account=account,
                total=amount,
                vat_amount=vat,
                earmark=earmark,
                idempotency_key=call_key,
                actor=None,
                override_by=override_by,
            )

        refusal: type[LedgerError] | None = None
        if override == "manager":
            refusal = OverrideNotAllowed
        elif (
            override is None
            and account.credit_limit is not None
            and account.balance - total - account.reserved < -account.credit_limit
        ):
            refusal = CreditLimitExceeded
        if refusal is not None:
            with nothing_written(), pytest.raises(refusal):
                run(key(), total)
            return
        self._admit(run, total, conflicting=total + 1)
        self.unsettled.discard(account.pk)
        self.balances[account.pk] -= total

    @rule(
        index=st.integers(0, 2),
        amount=AMOUNTS,
        kind=st.sampled_from(["payment", "top_up", "adjustment"]),
        earmark=EARMARKS,
    )
    def record_credit(self, index: int, amount: int, kind: str, earmark: str) -> None:
        account = self._account(index)

        def run(call_key: str, value: int) -> Credit:
            if kind == "payment":
                return ledger.record_payment(
                    account=account,
                    amount=value,
                    mode="cheque",
                    idempotency_key=call_key,
                    actor=None,
                )
            if kind == "top_up":
                return ledger.record_top_up(
                    account=account,
                    amount=value,
                    mode="transfer",
                    earmark=earmark,
                    idempotency_key=call_key,
                    actor=None,
                )
            return ledger.post_credit_adjustment(
                account=account,
                amount=value,
                reason="goodwill",
                idempotency_key=call_key,
                actor=None,
            )

        self._admit(run, amount, conflicting=amount + 1)
        self.unsettled.discard(account.pk)
        self.balances[account.pk] += amount

    @rule(index=st.integers(0, 2), amount=AMOUNTS, data=st.data())
    def pay_a_given_charge(self, index: int, amount: int, data: st.DataObject) -> None:
        account = self._account(index)
        target = self._pick(data, Charge)
        if target is None:
            return

        def run(call_key: str, value: int) -> Credit:
            return ledger.record_payment(
                account=account,
                amount=value,
                mode="online",
                apply_to=[target],
                idempotency_key=call_key,
                actor=None,
            )

        if target.account_id != account.pk:
            with nothing_written(), pytest.raises(InvalidAllocation):
                run(key(), amount)
            return
        self._admit(run, amount, conflicting=amount + 1)
        self.unsettled.discard(account.pk)
        self.balances[account.pk] += amount

    @rule(
        amount=AMOUNTS,
        refund_mode=st.sampled_from(["account", "cash"]),
        to_account=st.sampled_from(["default", "default", "zero", "all"]),
        data=st.data(),
    )
    def issue_credit_note(
        self, amount: int, refund_mode: str, to_account: str, data: st.DataObject
    ) -> None:
        target = self._pick(data, Charge)
        if target is None:
            return
        # Mostly within what is left to credit (admitted), sometimes beyond it (refused).
        if target.creditable_amount and amount % 4:
            amount = min(amount, target.creditable_amount)
        share = {"default": None, "zero": 0, "all": amount}[to_account]

        def run(call_key: str, value: int) -> Credit:
            return ledger.issue_credit_note(
                charge=target,
                amount=value,
                reason="returned",
                refund_mode=refund_mode,
                to_account=share,
                idempotency_key=call_key,
                actor=None,
            )

        minimum = min(amount, target.open_amount)
        to = share if share is not None else (amount if refund_mode == "account" else minimum)
        refusal: type[LedgerError] | None = None
        if target.status == ChargeStatus.VOID or amount > target.creditable_amount:
            refusal = CreditNoteTooLarge
        elif refund_mode == "account" and to != amount:
            refusal = InvalidAmount
        elif to < minimum:
            refusal = RefundMustGoToAccount
        if refusal is not None:
            with nothing_written(), pytest.raises(refusal):
                run(key(), amount)
            return
        created = self._admit(run, amount)  # another amount may be admitted: no conflict test
        self.unsettled.discard(target.account_id)
        assert (created.amount, created.payout_amount) == (to, amount - to)
        self.balances[target.account_id] += to

    @rule(amount=AMOUNTS, data=st.data())
    def allocate(self, amount: int, data: st.DataObject) -> None:
        target = self._pick(data, Charge)
        drawn = self._pick(data, Credit)
        if target is None or drawn is None:
            return
        credit_pk = drawn.pk
        # Mostly a credit of the same account with something left, for as much as both sides
        # have left (admitted); otherwise the drawn credit and amount (often refused).
        same_account = list(
            Credit.objects.filter(
                account_id=target.account_id, status=CreditStatus.ACTIVE, unapplied_amount__gt=0
            ).values_list("pk", flat=True)
        )
        if same_account and target.open_amount and amount % 4:
            credit_pk = data.draw(st.sampled_from(same_account))
        credit = Credit.objects.get(pk=credit_pk)
        room = min(credit.unapplied_amount, target.open_amount)
        amount = min(amount, room) if room > 0 and amount % 4 else amount

        def run(call_key: str, value: int) -> Any:
            return ledger.allocate(
                credit=credit, charge=target, amount=value, idempotency_key=call_key, actor=None
            )

        if (
            credit.account_id != target.account_id
            or credit.status == CreditStatus.VOID
            or target.status == ChargeStatus.VOID
            or amount > credit.unapplied_amount
            or amount > target.open_amount
        ):
            with nothing_written(), pytest.raises(InvalidAllocation):
                run(key(), amount)
            return
        self._admit(run, amount)

    @rule(amount=AMOUNTS, data=st.data())
    def unallocate(self, amount: int, data: st.DataObject) -> None:
        # Mostly a pair that has something allocated, sometimes any pair.
        pairs = sorted(pair for pair, net in net_allocations().items() if net > 0)
        if pairs and amount % 4:
            credit_pk, charge_pk = data.draw(st.sampled_from(pairs))
            credit = Credit.objects.get(pk=credit_pk)
            target = Charge.objects.get(pk=charge_pk)
        else:
            drawn_charge, drawn_credit = self._pick(data, Charge), self._pick(data, Credit)
            if drawn_charge is None or drawn_credit is None:
                return
            target, credit = drawn_charge, drawn_credit
            credit_pk, charge_pk = credit.pk, target.pk
        allocated = net_allocations(charge_id=charge_pk, credit_id=credit_pk).get(
            (credit_pk, charge_pk), 0
        )
        # Mostly within what is allocated (admitted), sometimes beyond it (refused).
        amount = min(amount, allocated) if allocated and amount % 3 else amount

        def run(call_key: str, value: int) -> Any:
            return ledger.unallocate(
                credit=credit, charge=target, amount=value, idempotency_key=call_key, actor=None
            )

        if amount > allocated:
            with nothing_written(), pytest.raises(InvalidAllocation):
                run(key(), amount)
            return
        self._admit(run, amount)
        self.unsettled.add(credit.account_id)  # not re-applied by this call, by design

    @rule(data=st.data())
    def reverse_entry(self, data: st.DataObject) -> None:
        entry = self._pick(data, JournalEntry)
        if entry is None:
            return

        def run(call_key: str, value: Any) -> JournalEntry:
            return ledger.reverse_entry(
                entry=entry, reason="mistake", idempotency_key=call_key, actor=None
            )

        refusal: type[LedgerError] | None = None
        if entry.kind == EntryKind.REVERSAL:
            refusal = NotReversible
        elif JournalEntry.objects.filter(reverses=entry).exists():
            refusal = AlreadyReversed
        elif Credit.objects.filter(
            against_charge__entry=entry, status=CreditStatus.ACTIVE
        ).exists():
            refusal = NotReversible
        if refusal is not None:
            with nothing_written(), pytest.raises(refusal):
                run(key(), None)
            return
        customer = entry.postings.filter(account__isnull=False).first()
        self._admit(run, None)
        self.unsettled.discard(
            Charge.objects.filter(entry=entry).values_list("account_id", flat=True).first()
            or Credit.objects.get(entry=entry).account_id
        )
        if customer is not None:
            self.balances[customer.account_id] -= customer.amount

    @rule(index=st.integers(0, 2), limit=LIMITS)
    def change_credit_limit(self, index: int, limit: int | None) -> None:
        account = self._account(index)

        def run(call_key: str, value: int | None) -> Account:
            return ledger.change_credit_limit(
                account=account, credit_limit=value, actor=None, idempotency_key=call_key
            )

        self._admit(run, limit, conflicting=None if limit is None else limit + 1)

    @rule(
        index=st.integers(0, 2),
        amount=AMOUNTS,
        floor=st.sampled_from(["limit", "limit", 0, None]),
        exact=st.booleans(),
    )
    def reserve(self, index: int, amount: int, floor: Any, exact: bool) -> None:
        account = self._account(index)
        if exact and account.credit_limit is not None:
            # Exactly what the limit leaves (admitted), or one cent more (refused).
            amount = max(account.balance + account.credit_limit - account.reserved, 1)
        self.references += 1
        reference = f"order:r{self.references}"
        if floor == "limit":
            refused = (
                account.credit_limit is not None
                and account.balance - account.reserved - amount < -account.credit_limit
            )
        elif floor == 0:
            refused = account.balance - account.reserved - amount < 0
        else:
            refused = False
        if refused:
            with nothing_written(), pytest.raises(NotEnoughToReserve):
                ledger.reserve(account=account, amount=amount, reference=reference, floor=floor)
            return
        held = ledger.reserve(account=account, amount=amount, reference=reference, floor=floor)
        assert (held.amount, held.account_id) == (amount, account.pk)
        self.reserved[account.pk] += amount
        self.held[reference] = (account.pk, amount)

    @rule(data=st.data(), deliver=st.booleans())
    def release_or_deliver(self, data: st.DataObject, deliver: bool) -> None:
        """Release a hold, or deliver it as `invoicing.deliver_order` does: consume the hold and
        post its charge (earmarked with the reference) in one transaction."""
        if not self.held:
            return
        reference = data.draw(st.sampled_from(sorted(self.held)))
        account_pk, amount = self.held[reference]
        account = Account.objects.get(pk=account_pk)
        if not deliver:
            released = ledger.release(account=account, reference=reference)
            assert released is not None
            assert released.amount == amount
            with nothing_written():
                assert ledger.release(account=account, reference=reference) is None
            del self.held[reference]
            self.reserved[account_pk] -= amount
            return
        # The hold becomes the charge: the guard finds what it held (unless the limit was
        # lowered since, when the whole delivery is refused).
        refused = (
            account.credit_limit is not None
            and account.balance - account.reserved < -account.credit_limit
        )

        def deliver_it() -> None:
            with transaction.atomic():
                ledger.consume(account=account, reference=reference)
                ledger.post_charge(
                    account=account,
                    total=amount,
                    earmark=reference,
                    idempotency_key=key(),
                    actor=None,
                )

        if refused:
            with nothing_written(), pytest.raises(CreditLimitExceeded):
                deliver_it()
            return
        deliver_it()
        del self.held[reference]
        self.reserved[account_pk] -= amount
        self.balances[account_pk] -= amount
        self.unsettled.discard(account_pk)

    @rule(data=st.data())
    def retry_a_request(self, data: st.DataObject) -> None:
        """A retried request (double click, network retry) gives the first result, nothing new."""
        if not self.calls:
            return
        call = data.draw(st.sampled_from(self.calls))
        with nothing_written():
            result = call.run(call.key, call.value)
        assert result.pk == call.result_pk

    @rule(data=st.data())
    def reuse_a_key_for_another_request(self, data: st.DataObject) -> None:
        candidates = [call for call in self.calls if call.conflicting_value is not None]
        if not candidates:
            return
        call = data.draw(st.sampled_from(candidates))
        with nothing_written(), pytest.raises(IdempotencyConflict):
            call.run(call.key, call.conflicting_value)

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def accounts_add_up(self) -> None:
        """The model, the cached figures and the postings agree (Debt and Deposit against the
        documents are re-summed by check_ledger below)."""
        if not self.accounts:
            return
        cached = {
            pk: (balance, deposit - debt)
            for pk, balance, debt, deposit in Account.objects.filter(shop=self.shop).values_list(
                "pk", "balance", "debt", "deposit"
            )
        }
        reserved = dict(Account.objects.filter(shop=self.shop).values_list("pk", "reserved"))
        assert reserved == self.reserved
        posted = dict(
            Posting.objects.filter(account__shop=self.shop)
            .values("account_id")
            .annotate(total=Sum("amount"))
            .values_list("account_id", "total")
        )
        for pk, expected in self.balances.items():
            assert cached[pk] == (expected, expected)
            assert posted.get(pk, 0) == expected

    @invariant()
    def automatic_allocation_leaves_no_credit_beside_an_open_charge(self) -> None:
        """With automatic allocation, an account never shows an open charge and a credit that
        could settle it (not earmarked for a charge still to come), except right after an
        unallocation, which by design is not re-applied by the same call."""
        if not self.accounts or not self.shop.auto_allocate:
            return
        for account in self.accounts:
            if account.pk in self.unsettled:
                continue
            open_charges = Charge.objects.filter(account=account, open_amount__gt=0)
            if not open_charges.exists():
                continue
            charges = Charge.objects.filter(account=account)
            for credit in Credit.objects.filter(account=account, unapplied_amount__gt=0):
                # Waiting for its order: earmarked, and no charge of that order posted yet.
                waiting = (
                    bool(credit.earmark) and not charges.filter(earmark=credit.earmark).exists()
                )
                assert waiting is True, (credit.pk, credit.earmark, list(open_charges.values("pk")))

    @invariant()
    def charges_keep_their_vat(self) -> None:
        for row in Charge.objects.filter(shop_id=getattr(self, "shop", None)):
            assert 0 <= row.credited_vat_amount <= row.vat_amount
            assert 0 <= row.credited_amount - row.credited_vat_amount <= row.net_amount

    @invariant()
    def ledger_checks(self) -> None:
        if self.accounts:
            report = check_ledger(self.shop.pk)
            assert report.problems == []


def test_random_sequences_of_services_keep_every_invariant() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
