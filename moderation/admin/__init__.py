"""The moderation's admin: the queue, the block list, the history per citizen, the monthly
counts, the editable screening lists. Every action goes through a confirmation page and a
service; only moderators and administrators reach them (403 for anyone else)."""

from . import actions, blocks, cases, evidence, lists, queue  # noqa: F401
