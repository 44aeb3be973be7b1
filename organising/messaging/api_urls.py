"""API routes of the messaging capability, mounted under /api/v1/."""

urlpatterns: list = []
