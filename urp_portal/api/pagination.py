"""Lists answer `{"results": [...], "next": url or null}` (DESIGN.md)."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class ApiCursorPagination(CursorPagination):
    """For lists that grow (tickets, messages, deliveries): stable while rows are added, and as
    fast on the thousandth page as on the first. Views set `ordering` to an indexed field."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Unique and increasing on every model: the default when a view names no ordering.
    ordering = "-pk"


class ApiPageNumberPagination(PageNumberPagination):
    """For small lists (services, templates): a count and numbered pages."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
