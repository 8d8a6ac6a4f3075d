"""Hooks through which the apps standing on `subscribers` take part in a citizen's erasure
(GDPR art. 17) without `subscribers` importing them.

- `erasure_blockers`: sent with `subscriber=`; a receiver returns a list of Italian reasons why
  erasure must wait (e.g. a moderation case under legal hold), or an empty list.
- `erase_personal_data`: sent with `subscriber=` inside the erasure's transaction; each receiver
  destroys or anonymises what its app holds about that citizen (message texts, media, names).
"""

from django.dispatch import Signal

erasure_blockers = Signal()
erase_personal_data = Signal()
