"""Who wrote a campaign, for the four-eyes rule: a console account or one of the comune's systems
(an API token). The second pair of eyes is another person or another system, never the same
one again."""

from typing import Any

from urp_portal.accounts.models import ApiToken
from urp_portal.accounts.principals import ApiTokenUser, actor_account

from ..models import Campaign


def token_of(actor: Any) -> ApiToken | None:
    """The API token behind whoever acts; None for a console user or the product itself."""
    return actor.token if isinstance(actor, ApiTokenUser) else None


def campaign_written_by(campaign: Campaign, actor: Any) -> bool:
    """True when `actor` is who wrote the campaign (the same account or the same token), and
    when it cannot be told apart from them (the product itself, a campaign with no author)."""
    token = token_of(actor)
    if token is not None:
        return campaign.created_by_token_id == token.pk
    account = actor_account(actor)
    if account is None:
        return True
    return campaign.created_by_token_id is None and campaign.created_by_id == account.pk
