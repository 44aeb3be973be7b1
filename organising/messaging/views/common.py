"""Messaging views: what the others share."""

from django.core.exceptions import ValidationError
from django.http import Http404

from .. import selectors


def _cursor(request):
    try:
        return selectors.Cursor.decode(request.GET.get("before"))
    except ValidationError:
        raise Http404 from None


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message.message % (message.params or {}))
    else:
        for message in error.messages:
            form.add_error(None, message)


def _safe_next(request) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/") and not target.startswith("//")
