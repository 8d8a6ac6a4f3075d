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

# Sent with `subscriber=` in the transaction that takes a citizen off the broadcast list (an
# unsubscribe, and a block or an erasure of someone on it: services.subscriber_status_change). The
# status change is already saved: a receiver (the broadcasts app) cancels what it still has queued
# for that citizen. Each batch of a campaign asks again who its recipients are in any case.
subscriber_unsubscribed = Signal()

# Sent with `subscriber=` when a citizen's data is exported (GDPR art. 15): a receiver returns a
# pair (section title, JSON-serialisable data) with what its app holds about that citizen.
collect_personal_data = Signal()
