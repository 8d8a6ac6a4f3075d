"""Lists answer `{"results": [...], "next": url or null}` (DESIGN.md)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSizeMixin:
    """`page_size` is a positive integer or a 400: DRF would quietly use the default instead,
    and a client that sent `page_size=abc` should hear about its mistake. Above the maximum it is
    the maximum, as the schema says."""

    page_size_query_param: str
    max_page_size: int

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise ValidationError(
                {self.page_size_query_param: [_("Serve un numero intero positivo.")]}
            )
        return super().get_page_size(request)  # type: ignore[misc]

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
                parameter["description"] = _(
                    "Righe per pagina (al massimo %(max)d; di più vale %(max)d)."
                ) % {"max": self.max_page_size}
        return parameters


class ApiCursorPagination(StrictPageSizeMixin, CursorPagination):
    """For lists that grow (tickets, messages, deliveries): stable while rows are added, and as
    fast on the thousandth page as on the first. Views set `ordering` to an indexed field."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Unique and increasing on every model: the default when a view names no ordering.
    ordering = "-pk"


class ApiPageNumberPagination(StrictPageSizeMixin, PageNumberPagination):
    """For small lists (services, templates): a count and numbered pages."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        # DRF reads `page=` as the first page; it is a mistake like `page=abc` (a 404 there).
        raw = request.query_params.get(self.page_query_param)
        if (
            raw is not None
            and not (raw.isascii() and raw.isdigit())
            and raw not in self.last_page_strings
        ):
            raise ValidationError({self.page_query_param: [_("Serve un numero di pagina.")]})
        return super().get_page_number(request, paginator)
