"""An account's history speaks the reader's language: Django stores the changed fields' labels
untranslated and capitalised ("Last name"), which no catalogue translates back, so an Italian
console read "Modificati First name e Last name"."""

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone, translation

from tests.test_comune_staff import _signed_in
from tests.test_comune_user_admin import _change
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_accounts_changes_are_named_in_italian_on_its_history(municipality):
    admin = _signed_in(UserFactory(username="admin.solo", roles=[Role.ADMINISTRATOR]))
    account = UserFactory(
        username="giulia",
        first_name="Giulia",
        last_name="Serra",
        date_joined=timezone.now().replace(microsecond=0),  # as the form sends it back
    )

    joined = timezone.localtime(account.date_joined)
    changed = admin.post(
        f"/admin/auth/user/{account.pk}/change/",
        _change(
            account,
            first_name="Giulia Maria",
            last_name="Serra Pinna",
            is_staff="on" if account.is_staff else "",
            date_joined_0=joined.strftime("%d/%m/%Y"),
            date_joined_1=joined.strftime("%H:%M:%S"),
        ),
    )
    with translation.override("it"):
        message = LogEntry.objects.get(object_id=str(account.pk)).get_change_message()
    page = admin.get(f"/admin/auth/user/{account.pk}/history/").content.decode()

    assert changed.status_code == 302
    # (The form sent back also counts the joining date as changed: Django's split widget.)
    assert message.startswith("Modificati nome, cognome")
    assert not any(label in message for label in ("First name", "Last name", "Date joined"))
    assert "Modificati nome, cognome" in page and "Last name" not in page
