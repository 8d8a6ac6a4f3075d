class AppendOnlyError(Exception):
    """A write that would rewrite the audit trail: a programming error, never a user's."""
