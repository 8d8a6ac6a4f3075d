"""Who acted, for the event rows and the audit: every service names the acting person or system
`actor=` and turns it into a foreign key and words with these."""

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AbstractBaseUser

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def actor_account(actor: Any) -> "User | None":
    """The console account behind whoever acts, for the models' user foreign keys; None for one
    of the comune's systems calling with an API token (it has no account) and for the product
    itself."""
    if isinstance(actor, AbstractBaseUser) and actor.pk:
        return cast("User", actor)  # AUTH_USER_MODEL is auth.User
    return None


def actor_label(actor: Any) -> str:
    """Who acted, in words, where no account can be pointed to: "API: <token name>"."""
    # Imported here: the accounts app stands on this ground package, not the other way round.
    from urp_portal.accounts.principals import ApiTokenUser

    return str(actor) if isinstance(actor, ApiTokenUser) else ""
