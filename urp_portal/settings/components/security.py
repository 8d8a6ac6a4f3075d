"""Staff sign-in, sessions and the Content-Security-Policy."""

from csp.constants import NONCE, NONE, SELF

from urp_portal.settings.env import env

# --- Staff sign-in and sessions (urp_portal/accounts; README, "Security") -----------------------
# A session ends after this long without a request, and in any case this long after the login.
URP_SESSION_IDLE_MINUTES = env.int("URP_SESSION_IDLE_MINUTES", default=30)
URP_SESSION_MAX_HOURS = env.int("URP_SESSION_MAX_HOURS", default=10)
SESSION_COOKIE_AGE = URP_SESSION_MAX_HOURS * 3600
# Office PCs are shared: closing the browser ends the session.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the link in a service's email must open the console already signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Failed sign-ins allowed per username and address before a cool-off; each further series of
# failures within a day doubles it (urp_portal/accounts/lockout.py).
AXES_FAILURE_LIMIT = env.int("URP_LOGIN_FAILURE_LIMIT", default=5)
URP_LOGIN_COOLOFF_MINUTES = env.int("URP_LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = "urp_portal.accounts.lockout.login_cool_off"
# Each attempt keeps its own expiry, so one client's short cool-off never erases another's long
# one; the failure log is what the progression counts.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
# A try during the cool-off is refused without counting: the wait shown stays the wait.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Username and address together: operators share the office's address, so locking an address
# would lock the whole URP, and locking a username alone would let anyone lock out a colleague.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Reverse proxies in front of gunicorn (0: clients connect directly). With N, the client is the
# Nth address from the right of X-Forwarded-For: the one our outermost proxy saw connect. What a
# client writes further left is not trusted (urp_portal/accounts/lockout.py, client_address).
URP_PROXY_COUNT = env.int("URP_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "urp_portal.accounts.lockout.client_address"
# The issuer shown in the authenticator app beside the username.
OTP_TOTP_ISSUER = env.str("URP_OTP_ISSUER", default="URP Portal")

# --- Content-Security-Policy (django-csp) --------------------------------------------------------
# Scripts run only from our own static files or with this response's nonce; nothing is framed,
# no plugin runs, no <base> redirects relative URLs. Styles allow inline attributes: the
# console's charts set their bars' sizes in the markup, and CSS runs no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        # data: for the enrolment's QR code and Swagger UI's icons.
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "media-src": [SELF],
        "connect-src": [SELF],
        # Redoc searches the schema in a worker it builds from a blob.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
