"""Query parameters read as strictly as the schema states them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class QuerySerializer(serializers.Serializer):
    """For a view's query parameters. DRF reads `?state=` as a form does, as if the parameter
    were absent; here it is a mistake (400), as the schema says: a filter is given or left out."""

    def to_internal_value(self, data):
        blank = [
            name
            for name, field in self.fields.items()
            if hasattr(data, "get")
            and data.get(name) == ""
            and not getattr(field, "allow_blank", False)
        ]
        if blank:
            raise serializers.ValidationError(
                {name: [_("Il valore è vuoto: ometti il parametro.")] for name in blank}
            )
        return super().to_internal_value(data)
