"""The REST API (DRF) and its schema (drf-spectacular)."""

from urp_portal.settings.env import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an unauthenticated request is answered 401 with `WWW-Authenticate: Token`.
        "urp_portal.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "urp_portal.api.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "urp_portal.api.pagination.ApiCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["urp_portal.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "reads": env.str("API_THROTTLE_READ_RATE", default="600/min"),
        "writes": env.str("API_THROTTLE_WRITE_RATE", default="120/min"),
        "anonymous": env.str("API_THROTTLE_ANONYMOUS_RATE", default="60/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "urp_portal.api.schema.ApiAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# The API's description (/api/v1/schema/, docs/, redoc/) for anyone, not only staff and tokens.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "URP Portal API",
    "DESCRIPTION": (
        "API per i sistemi del comune: ticket, cittadini, comunicazioni, statistiche. "
        "Autenticazione: `Authorization: Token <chiave>`. Errori: "
        '`{"code", "message", "message_en", "details"}`. Le scritture accettano '
        "`Idempotency-Key`. Le liste rispondono `{results, next}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its pages: staff signed in or a token, unless API_DOCS_PUBLIC opens them.
    "SERVE_PERMISSIONS": ["urp_portal.api.schema.SchemaReader"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["urp_portal.api.schema.only_api_v1_endpoints"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "REDOC_DIST": "SIDECAR",
    # Every app has a "status" or "state": each enum gets its own name in the document.
    # The API's row ids in paths (urp_portal/api/urls.py): at most 18 digits.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "ENUM_NAME_OVERRIDES": {
        "SubscriberStatusEnum": "subscribers.states.SubscriberStatus",
        "TicketStateEnum": "tickets.states.TicketState",
        "TicketCategoryEnum": "tickets.states.TicketCategory",
        "MessageOriginEnum": "tickets.states.MessageOrigin",
        "MessageKindEnum": "urp_portal.gateway.states.MessageKind",
        "OutboundStateEnum": "urp_portal.gateway.states.OutboundState",
        "CampaignStateEnum": "broadcasts.states.CampaignState",
        "TemplateApprovalEnum": "broadcasts.states.TemplateApproval",
        "TemplateCategoryEnum": "broadcasts.states.TemplateCategory",
    },
}
