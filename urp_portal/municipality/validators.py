import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

# WhatsApp refuses a text message body longer than this.
WHATSAPP_TEXT_LIMIT = 4096

whatsapp_text_length = MaxLengthValidator(
    WHATSAPP_TEXT_LIMIT,
    message=_(
        "WhatsApp accetta al massimo %(limit_value)d caratteri per messaggio: "
        "questo testo ne ha %(show_value)d."
    ),
)


def validate_e164(value: str) -> None:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Numero non valido: scrivilo in formato internazionale, ad esempio +39 329 0582872."),
            code="invalid_phone",
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("Il numero %(number)s non esiste nel piano di numerazione."),
            params={"number": value},
            code="invalid_phone",
        )


def to_e164(value: str, default_region: str = "IT") -> str:
    parsed = phonenumbers.parse(value, default_region)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
