import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "organising.settings")
application = get_wsgi_application()

from organising.startup import settle  # noqa: E402

settle()
