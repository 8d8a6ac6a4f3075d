from django import template

from ..costs import messages_cost_this_month

register = template.Library()


@register.inclusion_tag("broadcasts/costs.html", takes_context=True)
def broadcasts_costs(context):
    """This month's template messages by category and their estimated cost, for whoever may
    see the campaigns."""
    request = context.get("request")
    if request is None or not request.user.has_perm("broadcasts.view_campaign"):
        return {"costs": None}
    return {"costs": messages_cost_this_month()}
