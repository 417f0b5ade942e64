"""The statement email: HTML and text in the customer's language, the PDF, the payment link."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from ardoise.shops.models import Shop
from ardoise.statements.links import create_payment_link
from ardoise.statements.models import StatementSend
from ardoise.statements.rendering import render_statement_pdf, statement_document
from ardoise.statements.selectors import payment_state


def payment_link_url(signed_token: str) -> str:
    return settings.SITE_URL + reverse("portal:statement", kwargs={"token": signed_token})


def build_statement_email(send: StatementSend) -> tuple[EmailMultiAlternatives, bool]:
    """The message for one send, and whether it carries a payment link.

    The link (a fresh token, stored hashed) is included only when the statement can be paid
    online now: the shop takes online payment, something is due, and it is within the maximum.
    """
    statement = send.statement
    shop = Shop.objects.get(pk=statement.shop_id)
    with_link = payment_state(statement).can_pay
    pay_url = (
        payment_link_url(create_payment_link(statement=statement, days=shop.statement_link_days))
        if with_link
        else ""
    )
    document = statement_document(statement, pays_online=with_link)
    context = {"doc": document, "shop": shop, "statement": statement, "pay_url": pay_url}
    with override(statement.language):
        subject = " ".join(render_to_string("statements/email/subject.txt", context).split())
        text = render_to_string("statements/email/statement.txt", context)
        html = render_to_string("statements/email/statement.html", context)
        filename = _("statement-%(number)s.pdf") % {"number": statement.number}
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[send.email],
        reply_to=[shop.email] if shop.email else None,
    )
    message.attach_alternative(html, "text/html")
    message.attach(filename, render_statement_pdf(statement, document), "application/pdf")
    return message, with_link
