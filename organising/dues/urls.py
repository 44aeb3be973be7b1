from django.urls import path

from . import views

app_name = "dues"
urlpatterns = [
    # The member's own dues.
    path("", views.mine, name="mine"),
    path("bracket/", views.bracket, name="bracket"),
    path("declare/", views.declare, name="declare"),
    path("mandate/", views.mandate, name="mandate"),
    path("mandate/<int:pk>/revoke/", views.mandate_revoke, name="mandate_revoke"),
    path("receipts/<int:year>.pdf", views.my_receipt, name="my_receipt"),
    # Treasurers and secretaries.
    path("units/", views.units, name="units"),
    path("schedules/", views.schedules, name="schedules"),
    path("u/<slug:slug>/", views.unit, name="unit"),
    path("u/<slug:slug>/report/", views.report, name="report"),
    path("u/<slug:slug>/report.csv", views.report_csv, name="report_csv"),
    path("u/<slug:slug>/declared/", views.declared, name="declared"),
    path("u/<slug:slug>/import/", views.import_upload, name="import"),
    path("u/<slug:slug>/direct-debit/", views.sepa, name="sepa"),
    path("u/<slug:slug>/receipts/", views.receipts_bulk, name="receipts_bulk"),
    path("members/<uuid:public_id>/", views.member, name="member"),
    path("members/<uuid:public_id>/record/", views.record, name="record"),
    path("members/<uuid:public_id>/exempt/", views.exempt, name="exempt"),
    path(
        "members/<uuid:public_id>/receipts/<int:year>.pdf",
        views.member_receipt,
        name="member_receipt",
    ),
    path("entries/<int:pk>/reverse/", views.reverse_entry, name="reverse"),
    path("declared/<int:pk>/confirm/", views.declared_confirm, name="declared_confirm"),
    path("declared/<int:pk>/reject/", views.declared_reject, name="declared_reject"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("direct-debit/<int:pk>/", views.sepa_batch, name="sepa_batch"),
    path("direct-debit/<int:pk>.xml", views.sepa_xml, name="sepa_xml"),
    path("debits/<int:pk>/return/", views.debit_return, name="debit_return"),
]
