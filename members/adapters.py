from allauth.account.adapter import DefaultAccountAdapter

from organising.ratelimits import network_of


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are opened by invitation or an accepted join request, not by sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed sign-ins are counted per account *and network*: a network that
        keeps guessing a member's password waits longer and longer (the growing
        windows of ACCOUNT_RATE_LIMITS["login_failed"]), while the member, from
        any other network, still signs in with the right password. allauth's key
        was the account alone, so anyone could lock any member out."""
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account}:{network_of(self.get_client_ip(request))}"
