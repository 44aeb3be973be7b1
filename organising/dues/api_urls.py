"""API routes of the dues capability, mounted under /api/v1/."""

urlpatterns: list = []
