"""The console: the Django admin, made into the URP's inbox and conversation pages."""

from . import catalogue, ticket  # noqa: F401  (registers the ModelAdmins)
