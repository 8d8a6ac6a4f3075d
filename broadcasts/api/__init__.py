"""The broadcasts' API: templates, campaigns through their states, emergency alerts. Thin views
over the services, which check the same permissions as in the admin (a token holds its role's).
One module per resource; the views keep their import path `broadcasts.api`."""

from .alerts import AlertApi, AlertConfirmApi, HasEmergencyPermission
from .campaigns import (
    CampaignApproveApi,
    CampaignCancelApi,
    CampaignCreateApi,
    CampaignDetailApi,
    CampaignPauseApi,
    CampaignResumeApi,
    CampaignScheduleApi,
    CampaignSendApi,
)
from .templates import MessageTemplateListApi

__all__ = [
    "AlertApi",
    "AlertConfirmApi",
    "CampaignApproveApi",
    "CampaignCancelApi",
    "CampaignCreateApi",
    "CampaignDetailApi",
    "CampaignPauseApi",
    "CampaignResumeApi",
    "CampaignScheduleApi",
    "CampaignSendApi",
    "HasEmergencyPermission",
    "MessageTemplateListApi",
]
