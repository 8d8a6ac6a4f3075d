import pytest
from django.contrib.auth.models import Group, Permission

from urp_portal.accounts.roles import GROUP_NAMES, Role, declared_permissions, user_has_role

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(GROUP_NAMES.values())


@pytest.mark.parametrize("role", list(Role))
def test_a_role_gets_exactly_the_permissions_it_declares(role):
    group = Group.objects.get(name=GROUP_NAMES[role])
    declared = set(declared_permissions(role))

    granted = set(group.permissions.values_list("content_type__app_label", "codename"))

    # A declared permission that does not exist would be a typo that silently grants nothing.
    missing = {
        pair
        for pair in declared
        if not Permission.objects.filter(content_type__app_label=pair[0], codename=pair[1]).exists()
    }
    assert missing == set()
    assert granted == declared


def test_only_administrators_may_change_the_comunes_configuration():
    operators = Group.objects.get(name=GROUP_NAMES[Role.OPERATOR])
    administrators = Group.objects.get(name=GROUP_NAMES[Role.ADMINISTRATOR])

    assert not operators.permissions.filter(codename="change_municipality").exists()
    assert administrators.permissions.filter(codename="change_municipality").exists()


def test_user_has_role_reads_group_membership(django_user_model):
    user = django_user_model.objects.create_user("op", password="x")
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.OPERATOR]))

    assert user_has_role(user, Role.OPERATOR)
    assert not user_has_role(user, Role.MODERATOR)
