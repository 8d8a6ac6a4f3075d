from subscribers.tests.factories import SubscriberFactory
from tickets.tests.factories import operator
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

__all__ = ["SubscriberFactory", "UserFactory", "administrator", "moderator", "operator"]


def moderator(**kwargs):
    return UserFactory(roles=[Role.MODERATOR], **kwargs)


def administrator(**kwargs):
    return UserFactory(roles=[Role.ADMINISTRATOR], **kwargs)
