"""What every API operation may answer besides its success, declared once for the
whole schema (a drf-spectacular postprocessing hook) rather than on each view.

The answers follow `organising.api_errors`: 400 names the fields, 401 asks for a
token, 403 is forbidden, 404 is missing or not visible to you, 429 says when to try
again. Unknown addresses under /api/ answer the same JSON 404 (`not_found`).
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "Each key names a refused field (`non_field_errors`: the input as a whole; "
        "`detail`: a body that could not be read), with its messages."
    ),
    "additionalProperties": {},
}
RESPONSES = {
    "400": ("ValidationError", "The input is refused; the body names the fields."),
    "401": ("Error", "No valid credentials: send `Authorization: Bearer <token>`."),
    "403": ("Error", "Signed in, but not allowed to do this."),
    "404": ("Error", "Missing, or not visible to you (the same answer)."),
    "429": ("Error", "Too many requests: try again after `Retry-After` seconds."),
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}
WRITES = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    """Declare the error answers on every operation: 401, 403 and 404 everywhere;
    400 where the client sends input (a body or parameters); 429 on writes, which
    are rate limited."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in WRITES | {"get", "head", "options"}:
                continue
            # A body, a query or a path parameter can be refused (a year out of
            # range, a page size that is not a number).
            takes_input = "requestBody" in operation or bool(
                operation.get("parameters")
            )
            codes = ["401", "403", "404"]
            if takes_input or method in WRITES:
                codes.append("400")
            if method in WRITES:
                codes.append("429")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                component, description = RESPONSES[code]
                answer = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{component}"}
                        }
                    },
                }
                if code == "429":
                    answer["headers"] = RETRY_AFTER
                responses.setdefault(code, answer)
    return result


@csrf_exempt  # it changes nothing; a POST there is a 404 too, not a CSRF page
def not_found(request, path=""):
    """Any other address under /api/: the API's JSON 404, not a web page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
