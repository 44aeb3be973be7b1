from federation import access

from . import joining


def navigation(request) -> dict:
    """What the navigation shows: it grows with the user's offices."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"viewer": access.ANONYMOUS}
    viewer = access.viewer_for(user)
    return {
        "viewer": viewer,
        "is_officer": access.can_somewhere(viewer, "unit.members.view"),
        # Called by the template only where the menu shows it (one count query).
        "pending_requests": lambda: joining.pending_for(user),
    }
