from tickets.tests.factories import SubscriberFactory, UserFactory, operator
from urp_portal.accounts.roles import Role

__all__ = ["SubscriberFactory", "UserFactory", "administrator", "moderator", "operator"]


def moderator(**kwargs):
    return UserFactory(role=Role.MODERATOR, **kwargs)


def administrator(**kwargs):
    return UserFactory(role=Role.ADMINISTRATOR, **kwargs)
