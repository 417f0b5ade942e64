from django.urls import path

from ardoise.staff.sales import charges, credits, payments, refunds, settings, views

urlpatterns = [
    path("", views.sale_list, name="sale_list"),
    path("new/", views.sale_new, name="sale_new"),
    path("orders/<id:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<id:order_id>/deliver/", views.order_deliver, name="order_deliver"),
    path("orders/<id:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("products/", views.product_list, name="product_list"),
    path("products/<id:product_id>/", views.product_edit, name="product_edit"),
    path("charges/<id:charge_id>/", charges.charge_detail, name="charge_detail"),
    path("charges/<id:charge_id>/settle/", charges.charge_settle, name="charge_settle"),
    path("charges/<id:charge_id>/refund/", refunds.charge_refund, name="charge_refund"),
    path("charges/<id:charge_id>/invoice/", charges.invoice_print, name="invoice_print"),
    path("charges/<id:charge_id>/invoice.pdf", charges.invoice_pdf, name="invoice_pdf"),
    path("charges/<id:charge_id>/receipt/", charges.receipt, name="receipt"),
    path("charges/<id:charge_id>/reverse/", charges.charge_reverse, name="charge_reverse"),
    path("credits/<id:credit_id>/", credits.credit_detail, name="credit_detail"),
    path("credits/<id:credit_id>/receipt/", credits.credit_receipt, name="credit_receipt"),
    path("credits/<id:credit_id>/reverse/", credits.credit_reverse, name="credit_reverse"),
    path(
        "settlements/<id:settlement_id>/reverse/",
        charges.settlement_reverse,
        name="settlement_reverse",
    ),
    path("payments/", payments.payments_week, name="payments_week"),
    path("payments/rows/<id:invoice_id>/", payments.payments_row, name="payments_row"),
    path("settings/invoices/", settings.invoice_settings, name="invoice_settings"),
    path("settings/exports/", settings.exports, name="exports"),
]
