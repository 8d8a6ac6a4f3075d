from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(delta: timedelta) -> int:
    """A wait in whole minutes, rounded up: what a person reads on the lockout page."""
    return -(-int(delta.total_seconds()) // 60)
