"""Web routes of the votes, mounted under /votes/."""

from django.urls import path

from . import views

app_name = "votes"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("open/", views.open_fragment, name="open_fragment"),
    path("new/", views.vote_create, name="create"),
    path("<uuid:public_id>/", views.vote_detail, name="vote"),
    path("<uuid:public_id>/edit/", views.vote_edit, name="edit"),
    path("<uuid:public_id>/open/", views.vote_open, name="open"),
    path("<uuid:public_id>/close/", views.vote_close, name="close"),
    path("<uuid:public_id>/cast/", views.cast, name="cast"),
    path("<uuid:public_id>/turnout/", views.turnout, name="turnout"),
    path("<uuid:public_id>/proxy/", views.proxy_give, name="proxy_give"),
    path(
        "<uuid:public_id>/proxy/withdraw/",
        views.proxy_withdraw,
        name="proxy_withdraw",
    ),
    path("<uuid:public_id>/results/", views.results_page, name="results"),
    path("<uuid:public_id>/minutes/", views.minutes, name="minutes"),
    path("<uuid:public_id>/results.csv", views.export, name="export"),
    path("<uuid:public_id>/receipt/", views.receipt_check, name="receipt"),
    path("<uuid:public_id>/electorate/", views.electorate, name="electorate"),
]
