from django.urls import path

from .views import imports, member, reports, schedules, sepa, treasurer

app_name = "dues"
urlpatterns = [
    # The member's own dues.
    path("", member.mine, name="mine"),
    path("bracket/", member.bracket, name="bracket"),
    path("declare/", member.declare, name="declare"),
    path("mandate/", member.mandate, name="mandate"),
    path("mandate/<int:pk>/revoke/", member.mandate_revoke, name="mandate_revoke"),
    path("receipts/<int:year>.pdf", member.my_receipt, name="my_receipt"),
    path("address/", member.address, name="address"),
    # Treasurers and secretaries.
    path("units/", treasurer.units, name="units"),
    path("schedules/", schedules.schedules, name="schedules"),
    path("u/<slug:slug>/", treasurer.unit, name="unit"),
    path("u/<slug:slug>/report/", reports.report, name="report"),
    path("u/<slug:slug>/report.csv", reports.report_csv, name="report_csv"),
    path("u/<slug:slug>/declared/", treasurer.declared, name="declared"),
    path("u/<slug:slug>/import/", imports.import_upload, name="import"),
    path("u/<slug:slug>/direct-debit/", sepa.sepa, name="sepa"),
    path("u/<slug:slug>/receipts/", reports.receipts_bulk, name="receipts_bulk"),
    path("members/<uuid:public_id>/", treasurer.member, name="member"),
    path("members/<uuid:public_id>/record/", treasurer.record, name="record"),
    path("members/<uuid:public_id>/exempt/", treasurer.exempt, name="exempt"),
    path(
        "members/<uuid:public_id>/correct/",
        treasurer.charge_correct,
        name="charge_correct",
    ),
    path("exemptions/<int:pk>/end/", treasurer.exemption_end, name="exemption_end"),
    path(
        "members/<uuid:public_id>/receipts/<int:year>.pdf",
        treasurer.member_receipt,
        name="member_receipt",
    ),
    path("entries/<int:pk>/reverse/", treasurer.reverse_entry, name="reverse"),
    path(
        "declared/<int:pk>/confirm/",
        treasurer.declared_confirm,
        name="declared_confirm",
    ),
    path(
        "declared/<int:pk>/reject/", treasurer.declared_reject, name="declared_reject"
    ),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/job/", imports.import_job, name="import_job"),
    path("imports/<int:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    path("direct-debit/<int:pk>/", sepa.sepa_batch, name="sepa_batch"),
    path("direct-debit/<int:pk>.xml", sepa.sepa_xml, name="sepa_xml"),
    path("debits/<int:pk>/return/", sepa.debit_return, name="debit_return"),
]
