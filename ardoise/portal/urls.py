"""The customer's pages: a statement opened from its payment link (`/p/s/<token>/`, no
sign-in), and each shop's portal under `/c/<shop_slug>/` (signed in with an emailed link).
(Provider webhooks and the test provider's checkout page are routed by `payments.urls`, under
`/p/`.)"""

from django.urls import path

from ardoise.portal import documents, ordering, pages, paying, sign_in, views

app_name = "portal"

urlpatterns = [
    path("p/s/<str:token>/", views.statement_page, name="statement"),
    path("p/s/<str:token>/pay/", views.statement_pay, name="statement_pay"),
    path("c/<slug:shop_slug>/", pages.home, name="home"),
    path("c/<slug:shop_slug>/sign-in/", sign_in.sign_in, name="sign_in"),
    path("c/<slug:shop_slug>/sign-in/sent/", sign_in.sign_in_sent, name="sign_in_sent"),
    path("c/<slug:shop_slug>/sign-in/<str:token>/", sign_in.sign_in_link, name="sign_in_link"),
    path("c/<slug:shop_slug>/sign-out/", sign_in.sign_out, name="sign_out"),
    path("c/<slug:shop_slug>/language/", pages.language, name="language"),
    path("c/<slug:shop_slug>/history/", documents.history, name="history"),
    path("c/<slug:shop_slug>/invoices/<id:charge_id>/", documents.invoice, name="invoice"),
    path(
        "c/<slug:shop_slug>/invoices/<id:charge_id>.pdf",
        documents.invoice_pdf_view,
        name="invoice_pdf",
    ),
    path("c/<slug:shop_slug>/receipts/<id:credit_id>/", documents.receipt, name="receipt"),
    path("c/<slug:shop_slug>/statements/", documents.statement_list, name="statements"),
    path(
        "c/<slug:shop_slug>/statements/<id:statement_id>.pdf",
        documents.statement_pdf,
        name="statement_pdf",
    ),
    path("c/<slug:shop_slug>/order/", ordering.order, name="order"),
    path("c/<slug:shop_slug>/order/confirm/", ordering.order_confirm, name="order_confirm"),
    path("c/<slug:shop_slug>/orders/", ordering.orders, name="orders"),
    path("c/<slug:shop_slug>/orders/<id:order_id>/", ordering.order_detail, name="order_detail"),
    path("c/<slug:shop_slug>/orders/<id:order_id>/pay/", ordering.order_pay, name="order_pay"),
    path(
        "c/<slug:shop_slug>/orders/<id:order_id>/cancel/",
        ordering.order_cancel,
        name="order_cancel",
    ),
    path("c/<slug:shop_slug>/top-up/", paying.top_up, name="top_up"),
    path("c/<slug:shop_slug>/top-up/<str:key>/", paying.top_up_done, name="top_up_done"),
    path("c/<slug:shop_slug>/pay/", paying.pay_owed, name="pay_owed"),
    path("c/<slug:shop_slug>/pay/<id:version>/", paying.pay_owed_done, name="pay_owed_done"),
    path(
        "c/<slug:shop_slug>/statements/<id:statement_id>/pay/",
        paying.statement_pay,
        name="statement_pay_portal",
    ),
    path("c/<slug:shop_slug>/settings/", pages.portal_settings, name="settings"),
    path(
        "c/<slug:shop_slug>/settings/email/<str:token>/",
        pages.email_confirm,
        name="email_confirm",
    ),
]
