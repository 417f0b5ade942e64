from django.urls import path

from ardoise.staff.statements import views

urlpatterns = [
    path("", views.statement_runs, name="statement_runs"),
    path("runs/<id:run_id>/", views.statement_run_detail, name="statement_run_detail"),
    path("runs/<id:run_id>/resume/", views.statement_run_resume, name="statement_run_resume"),
    path("settings/", views.statement_settings, name="statement_settings"),
    path("customers/<id:customer_id>/", views.statement_preview, name="statement_preview"),
    path("<id:statement_id>/", views.statement_detail, name="statement_detail"),
    path("<id:statement_id>/send/", views.statement_send, name="statement_send"),
    path("<id:statement_id>/print/", views.statement_print, name="statement_print"),
    path("<id:statement_id>/pdf/", views.statement_pdf, name="statement_pdf"),
]
