"""API routes of the contacts and the directory, mounted under /api/v1/."""

urlpatterns = []
