from urp_portal.core.errors import AppendOnlyError as AppendOnlyError  # one class for all
