from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from members import views as members_views
from organising import api_schema

# The admin is reached only through the site's own login (rate limits, MFA).
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)

api_v1 = [
    path("", include("members.api_urls")),
    path("", include("federation.api_urls")),
    path("", include("organising.messaging.api_urls")),
    path("", include("organising.dues.api_urls")),
    path("", include("organising.agenda.api_urls")),
    path("", include("organising.votes.api_urls")),
    path("", include("organising.contacts.api_urls")),
    path("", include("organising.documents.api_urls")),
    path("", include("organising.petitions.api_urls")),
]

urlpatterns = [
    path("", members_views.home, name="home"),
    path("", include("members.urls")),
    path("", include("federation.urls")),
    path("", include("organising.messaging.urls")),
    path("dues/", include("organising.dues.urls")),
    path("agenda/", include("organising.agenda.urls")),
    path("votes/", include("organising.votes.urls")),
    path("", include("organising.contacts.urls")),
    path("documents/", include("organising.documents.urls")),
    path("petitions/", include("organising.petitions.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"
    ),
    # Other addresses under /api/ (ending in a slash: Django adds the missing one)
    # answer the API's JSON 404, not a web page.
    re_path(r"^api/(?P<path>(?:[\s\S]*/)?)$", api_schema.not_found),
]
# No URL serves MEDIA_ROOT: uploaded files go through views that check access
# (organising/files.py).
