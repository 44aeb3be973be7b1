"""API routes of the dues capability, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("dues/schedules/", api.Schedules.as_view(), name="api-dues-schedules"),
    path("dues/me/", api.MyDues.as_view(), name="api-dues-me"),
    path("dues/me/bracket/", api.MyBracket.as_view(), name="api-dues-my-bracket"),
    path(
        "dues/me/declared-payments/",
        api.MyDeclaredPayments.as_view(),
        name="api-dues-my-declared",
    ),
    path("dues/me/mandate/", api.MyMandate.as_view(), name="api-dues-my-mandate"),
    path("dues/me/address/", api.MyAddress.as_view(), name="api-dues-my-address"),
    path(
        "dues/me/receipts/<int:year>/",
        api.MyReceipt.as_view(),
        name="api-dues-my-receipt",
    ),
    path("dues/payments/", api.Payments.as_view(), name="api-dues-payments"),
    path(
        "dues/payments/<int:pk>/reverse/",
        api.PaymentReverse.as_view(),
        name="api-dues-payment-reverse",
    ),
    path(
        "dues/members/<uuid:public_id>/corrections/",
        api.ChargeCorrection.as_view(),
        name="api-dues-charge-correct",
    ),
    path(
        "dues/exemptions/<int:pk>/end/",
        api.ExemptionEnd.as_view(),
        name="api-dues-exemption-end",
    ),
    path("dues/imports/", api.Imports.as_view(), name="api-dues-imports"),
    path("dues/imports/<int:pk>/", api.ImportDetail.as_view(), name="api-dues-import"),
    path(
        "dues/imports/<int:pk>/confirm/",
        api.ImportConfirm.as_view(),
        name="api-dues-import-confirm",
    ),
    path("dues/mandates/", api.Mandates.as_view(), name="api-dues-mandates"),
    path(
        "dues/units/<slug:slug>/members/",
        api.UnitMembers.as_view(),
        name="api-dues-unit-members",
    ),
    path(
        "dues/units/<slug:slug>/report/",
        api.UnitReport.as_view(),
        name="api-dues-report",
    ),
]
