"""Django's user admin on two comuni served side by side (issue #24, accounts/user_admin.py):
Cagliari's administrator lists and edits Cagliari's accounts only, grants nothing beyond a
role, changes no account shared with another comune, and finds none of Assemini's (404). A
superuser keeps the whole admin; a deployment of one comune keeps Django's admin as it was.
Through the real pages, signed in with the second factor passed."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.test_comune_staff import _provider, _roles, _signed_in
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import GROUP_NAMES, PROVIDER_GROUP_NAME, Role
from urp_portal.accounts.tests.factories import UserFactory

PASSWORD = "una-password-nuova-e-lunga-2026"


def _change(user, **fields) -> dict:
    """The change form of `user` as the page sends it, with `fields` changed."""
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": "10:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    form.update(fields)
    return form


def _listed(response) -> str:
    return response.content.decode().split('id="result_list"', 1)[1].split("</table>", 1)[0]


def test_a_comunes_administrator_lists_only_the_accounts_that_work_for_the_comune(
    comuni_staff, django_assert_max_num_queries
):
    cagliari, assemini, people = comuni_staff
    UserFactory(username="root", is_superuser=True)
    _provider(assemini)
    for n in range(20):
        StaffMembership.objects.create(
            user=UserFactory(username=f"collega{n}", roles=[Role.OPERATOR]), comune=cagliari
        )
    client = _signed_in(people["admin"])
    client.get("/admin/auth/user/")  # the session's comune, once

    # As many for 4 accounts as for 24: the account, its device and permissions, the groups, the
    # page's two counts and its rows; and the session's row where no Redis cache holds it (the
    # embedded default, SQLite).
    with django_assert_max_num_queries(9):
        response = client.get("/admin/auth/user/")

    listed = _listed(response)
    assert response.status_code == 200
    assert [name for name in ("admin.cagliari", "op.cagliari", "helpdesk") if name in listed] == [
        "admin.cagliari",
        "op.cagliari",
        "helpdesk",
    ]
    assert [name for name in ("op.assemini", "root", "fornitore") if name in listed] == []
    # Accounts are invited on Personale del comune, never added here (they would be no comune's).
    assert "/admin/auth/user/add/" not in response.content.decode()
    assert client.get("/admin/auth/user/add/").status_code == 403


def test_an_administrator_edits_a_colleague_but_grants_no_right_beyond_the_role(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    provider_group = Group.objects.get(name=PROVIDER_GROUP_NAME)
    administrators = Group.objects.get(name=GROUP_NAMES[Role.ADMINISTRATOR])
    client = _signed_in(people["admin"])
    escalation = {
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [provider_group.pk, administrators.pk],
    }

    colleague = client.post(
        f"/admin/auth/user/{people['operator'].pk}/change/",
        _change(people["operator"], first_name="Luca", **escalation),
    )
    themselves = client.post(
        f"/admin/auth/user/{people['admin'].pk}/change/",
        _change(people["admin"], first_name="Marta", **escalation),
    )

    assert (colleague.status_code, themselves.status_code) == (302, 302)
    operator = get_user_model().objects.get(pk=people["operator"].pk)
    admin = get_user_model().objects.get(pk=people["admin"].pk)
    assert (operator.first_name, operator.is_superuser, _roles(operator)) == (
        "Luca",
        False,
        [GROUP_NAMES[Role.OPERATOR]],
    )
    assert (admin.first_name, admin.is_superuser, _roles(admin)) == (
        "Marta",
        False,
        [GROUP_NAMES[Role.ADMINISTRATOR]],
    )
    assert operator.user_permissions.count() == 0


def test_an_account_shared_with_another_comune_is_shown_never_changed(comuni_staff):
    cagliari, _assemini, people = comuni_staff
    desk = people["desk"]
    provider = _provider(cagliari)  # the provider's, though a member of Cagliari alone
    client = _signed_in(people["admin"])

    shown = client.get(f"/admin/auth/user/{desk.pk}/change/")
    answers = {
        "change": client.post(
            f"/admin/auth/user/{desk.pk}/change/", _change(desk, is_active="")
        ).status_code,
        "password": client.post(
            f"/admin/auth/user/{desk.pk}/password/",
            {"password1": PASSWORD, "password2": PASSWORD, "set_usable_password": "true"},
        ).status_code,
        "delete": client.post(f"/admin/auth/user/{desk.pk}/delete/", {"post": "yes"}).status_code,
        "provider's password": client.get(f"/admin/auth/user/{provider.pk}/password/").status_code,
        "provider's delete": client.get(f"/admin/auth/user/{provider.pk}/delete/").status_code,
    }

    assert shown.status_code == 200
    assert 'name="_save"' not in shown.content.decode()
    assert answers == {
        "change": 403,
        "password": 403,
        "delete": 403,
        "provider's password": 403,
        "provider's delete": 403,
    }
    desk.refresh_from_db()
    assert desk.is_active and not desk.check_password(PASSWORD)


def test_another_comunes_account_is_not_found_on_any_user_page(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    theirs = people["theirs"]
    client = _signed_in(people["admin"])

    answers = [
        client.post(
            f"/admin/auth/user/{theirs.pk}/password/",
            {"password1": PASSWORD, "password2": PASSWORD, "set_usable_password": "true"},
        ).status_code,
        client.post(f"/admin/auth/user/{theirs.pk}/delete/", {"post": "yes"}).status_code,
        client.post(f"/admin/auth/user/{theirs.pk}/change/", _change(theirs)).status_code,
        client.get(f"/admin/auth/user/?q={theirs.username}").status_code,
    ]
    searched = client.get(f"/admin/auth/user/?q={theirs.username}")

    assert answers == [404, 404, 404, 200]
    assert f"/admin/auth/user/{theirs.pk}/change/" not in searched.content.decode()
    theirs.refresh_from_db()
    assert not theirs.check_password(PASSWORD)


def test_the_bulk_delete_is_gone_and_an_own_account_is_deleted_one_at_a_time(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])

    page = client.get("/admin/auth/user/")
    bulk = client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [people["desk"].pk], "post": "yes"},
    )
    alone = client.post(f"/admin/auth/user/{people['operator'].pk}/delete/", {"post": "yes"})

    assert 'value="delete_selected"' not in page.content.decode()
    assert bulk.status_code == 200  # the list again: no such action
    assert get_user_model().objects.filter(pk=people["desk"].pk).exists()
    assert alone.status_code == 302
    assert not get_user_model().objects.filter(pk=people["operator"].pk).exists()


def test_a_superuser_keeps_the_whole_user_admin(comuni_staff):
    cagliari, _assemini, people = comuni_staff
    root = UserFactory(username="root", is_superuser=True)
    client = _signed_in(root)
    client.post("/admin/comune/", {"comune": cagliari.pk})

    listed = _listed(client.get("/admin/auth/user/"))
    added = client.get("/admin/auth/user/add/")
    shared = client.get(f"/admin/auth/user/{people['theirs'].pk}/change/")

    assert "op.assemini" in listed and "root" in listed
    assert (added.status_code, shared.status_code) == (200, 200)
    assert 'name="is_superuser"' in shared.content.decode()


def test_one_comune_keeps_djangos_user_admin_as_it_was(municipality):
    admin = UserFactory(username="admin", roles=[Role.ADMINISTRATOR])
    operator = UserFactory(username="operatore", roles=[Role.OPERATOR])
    client = _signed_in(admin)

    page = client.get(f"/admin/auth/user/{operator.pk}/change/")
    changed = client.post(
        f"/admin/auth/user/{operator.pk}/change/", _change(operator, is_staff="on", groups=[])
    )

    assert 'name="is_superuser"' in page.content.decode()
    assert changed.status_code == 302
    assert _roles(operator) == []
    assert client.get("/admin/auth/user/add/").status_code == 200
