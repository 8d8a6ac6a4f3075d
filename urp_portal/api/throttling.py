"""Per-caller rate limits kept in the cache (Redis in production, so all web processes share
them). Rates come from the environment (API_THROTTLE_*)."""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle

from urp_portal.accounts.principals import principal_of


class PrincipalRateThrottle(SimpleRateThrottle):
    """One budget per caller and scope: the view's `throttle_scope` if it names one (e.g.
    "alerts"), else "reads" or "writes" by method. Callers without valid credentials spend the
    "anonymous" budget of their address in the authentication, before DRF answers them 401."""

    def __init__(self) -> None:
        # The scope depends on the request, so the rate is read in allow_request.
        pass

    def allow_request(self, request, view) -> bool:
        principal = principal_of(request)
        if principal.token is None and principal.user is None:
            # Already counted by the authentication (accounts/authentication.py), which every
            # request without valid credentials passes first.
            return True
        default = "reads" if request.method in SAFE_METHODS else "writes"
        self.scope = getattr(view, "throttle_scope", None) or default
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        principal = principal_of(request)
        if principal.token is not None:
            # The key's hash, not the row id: ids of deleted test rows come back, hashes do not.
            ident = f"token:{principal.token.key_hash[:32]}"
        elif principal.user is not None:
            ident = f"user:{principal.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
