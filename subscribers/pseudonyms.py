"""The pseudonymous key the consent ledger keeps once a number is erased.

A keyed HMAC (not a plain hash): phone numbers are few enough to be brute-forced from a hash, not
without the key, which lives in the environment, outside the database and its backups.
"""

import hashlib
import hmac

from django.conf import settings


def number_pseudonym(number: str) -> str:
    return hmac.new(
        settings.URP_PSEUDONYM_KEY.encode(), number.encode(), hashlib.sha256
    ).hexdigest()
