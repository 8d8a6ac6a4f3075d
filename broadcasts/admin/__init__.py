"""The communications staff's pages: templates and campaigns with a live preview, the buttons
that move a campaign (each calling one service), and the report with progress and chart."""

from .campaigns import (
    CAMPAIGN_ACTIONS,
    CampaignAdmin,
    CampaignEventInline,
    CampaignForm,
    ParametersField,
)
from .message_templates import PREVIEW_CSS, PREVIEW_JS, MessageTemplateAdmin, MessageTemplateForm
from .reports import _CSV_COLUMNS, _chart, _csv_cell, _csv_lines, _Echo

# Before the split this package was one module: the old names stay importable.
__all__ = [
    "CAMPAIGN_ACTIONS",
    "PREVIEW_CSS",
    "PREVIEW_JS",
    "_CSV_COLUMNS",
    "CampaignAdmin",
    "CampaignEventInline",
    "CampaignForm",
    "MessageTemplateAdmin",
    "MessageTemplateForm",
    "ParametersField",
    "_Echo",
    "_chart",
    "_csv_cell",
    "_csv_lines",
]
