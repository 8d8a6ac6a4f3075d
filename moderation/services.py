"""Moderation's writes. The policy categories are data, edited in the admin."""
