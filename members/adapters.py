from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are opened by invitation or an accepted join request, not by sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False
