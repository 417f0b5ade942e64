"""A statement as a reader sees it: every figure formatted once, in the customer's language.

The same `StatementDocument` feeds the staff preview, the print view, the public payment page,
the email and the PDF, so they always agree. Formatting happens here, in Python, with a cached
formatter, because templates that call `|money` a thousand times are slow.
"""

import base64
import datetime as dt
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override

from ardoise.ledger.models import ChargeKind, CreditKind
from ardoise.payments.models import BuiltInMode, PaymentMode
from ardoise.shops.models import Shop
from ardoise.statements.formatting import Formatter
from ardoise.statements.models import LineKind, Statement, StatementLine


@dataclass(frozen=True)
class DocumentLine:
    kind: str
    label: str
    reference: str
    issued_on: str
    due_on: str
    total: str
    open_amount: str
    is_credit: bool
    is_overdue: bool


@dataclass(frozen=True)
class StatementDocument:
    language: str
    is_draft: bool
    number: str
    issued_on: str
    shop_name: str
    shop_lines: list[str]
    logo_data_uri: str
    customer_lines: list[str]
    lines: list[DocumentLine]
    charge_count: int
    total_charges: str
    total_credits: str
    has_credits: bool
    amount_due: str
    amount_due_minor: int
    balance: str
    credit_limit: str | None
    payment_modes: list[str]
    pays_online: bool
    online_limit: str | None

    @cached_property
    def lines_html(self) -> SafeString:
        """The table rows, built in Python: 500 lines through the template engine cost ~40 ms."""
        rows = []
        for line in self.lines:
            css = ' class="credit"' if line.is_credit else ""
            due_css = ' class="overdue"' if line.is_overdue else ""
            rows.append(
                f"<tr{css}><td>{escape(line.label)} {escape(line.reference)}</td>"
                f"<td>{escape(line.issued_on)}</td><td{due_css}>{escape(line.due_on)}</td>"
                f'<td class="num">{escape(line.total)}</td>'
                f'<td class="num">{escape(line.open_amount)}</td></tr>'
            )
        return mark_safe("\n".join(rows))  # noqa: S308 -- every value is escaped above


def _logo_data_uri(shop: Shop) -> str:
    if not shop.logo:
        return ""
    try:
        with shop.logo.open("rb") as handle:
            content = handle.read()
    except (OSError, ValueError):
        return ""
    mime = mimetypes.guess_type(shop.logo.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def _shop_lines(shop: Shop) -> list[str]:
    lines = [shop.legal_name] if shop.legal_name and shop.legal_name != shop.name else []
    lines += [line.strip() for line in shop.address.splitlines() if line.strip()]
    if shop.siret:
        lines.append(_("SIRET %(siret)s") % {"siret": shop.siret})
    if shop.vat_number:
        lines.append(_("VAT %(number)s") % {"number": shop.vat_number})
    lines += [value for value in (shop.email, shop.phone) if value]
    return lines


def _accepted_modes(shop_id: int) -> list[str]:
    modes = PaymentMode.objects.for_shop(shop_id).accepted()
    skip = {BuiltInMode.ACCOUNT, BuiltInMode.ONLINE}
    return [str(mode.label) for mode in modes if mode.code not in skip]


def _labels() -> dict[tuple[str, str], str]:
    """Document kinds by (line kind, document kind), translated once per document."""
    labels = {(LineKind.CHARGE.value, k): str(v) for k, v in ChargeKind.choices}
    labels.update({(LineKind.CREDIT.value, k): str(v) for k, v in CreditKind.choices})
    return labels


def build_document(
    *,
    statement: Statement,
    lines: Sequence[StatementLine],
    shop: Shop,
    pays_online: bool,
    is_draft: bool = False,
    today: dt.date | None = None,
) -> StatementDocument:
    """Format a statement (saved, or a draft not yet numbered) in its language."""
    fmt = Formatter(statement.language, statement.currency)
    today = today or timezone.localdate()
    with override(statement.language):
        labels = _labels()
        document_lines = [
            DocumentLine(
                kind=line.kind,
                label=labels.get((line.kind, line.document_kind), line.document_kind),
                reference=line.reference,
                issued_on=fmt.date(line.issued_on),
                due_on=fmt.date(line.due_on),
                total=fmt.money(line.total),
                open_amount=fmt.money(
                    -line.open_amount if line.kind == LineKind.CREDIT else line.open_amount
                ),
                is_credit=line.kind == LineKind.CREDIT,
                is_overdue=line.due_on is not None and line.due_on < today,
            )
            for line in lines
        ]
        show_limit = shop.show_credit_limit_on_statements and statement.credit_limit is not None
        return StatementDocument(
            language=statement.language,
            is_draft=is_draft,
            number=str(statement.number) if not is_draft else "",
            issued_on=fmt.date(timezone.localdate(statement.issued_at)),
            shop_name=shop.name,
            shop_lines=_shop_lines(shop),
            logo_data_uri=_logo_data_uri(shop),
            customer_lines=[
                line for line in statement.customer_address.splitlines() if line.strip()
            ],
            lines=document_lines,
            charge_count=sum(1 for line in lines if line.kind == LineKind.CHARGE),
            total_charges=fmt.money(statement.total_charges),
            total_credits=fmt.money(-statement.total_credits),
            has_credits=statement.total_credits > 0,
            amount_due=fmt.money(statement.amount_due),
            amount_due_minor=statement.amount_due,
            balance=fmt.money(statement.balance),
            credit_limit=fmt.money(statement.credit_limit)
            if show_limit and statement.credit_limit is not None
            else None,
            payment_modes=_accepted_modes(shop.pk),
            pays_online=pays_online,
            online_limit=fmt.money(shop.online_payment_max)
            if statement.amount_due > shop.online_payment_max
            else None,
        )
