"""A check of publiccode.yml against the standard's required keys (publiccode.yml 0.4,
https://yml.publiccode.tools/schema.core.html): run by CI (`python -m
urp_portal.conventions.publiccode publiccode.yml`) and by tests/test_publiccode.py. It checks
what the catalogue's crawler rejects a file for without the network: required keys, their
types and allowed values, a description per language with the lengths the standard sets."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

REQUIRED_TOP = [
    "publiccodeYmlVersion",
    "name",
    "url",
    "platforms",
    "categories",
    "developmentStatus",
    "softwareType",
    "description",
    "legal",
    "maintenance",
    "localisation",
]
REQUIRED_DESCRIPTION = ["shortDescription", "longDescription", "features"]
DEVELOPMENT_STATUS = {"concept", "development", "beta", "stable", "obsolete"}
SOFTWARE_TYPE = {
    "standalone/mobile",
    "standalone/iot",
    "standalone/desktop",
    "standalone/web",
    "standalone/backend",
    "standalone/other",
    "addon",
    "library",
    "configurationFiles",
}
# The standard's list of categories (publiccode.yml 0.4, "categories-list").
CATEGORIES = set(
    [
        "accounting",
        "agile-project-management",
        "applicant-tracking",
        "application-development",
        "appointment-scheduling",
        "backup",
        "billing-and-invoicing",
        "blog",
        "budgeting",
        "business-intelligence",
        "business-process-management",
        "cad",
        "call-center-management",
        "cloud-management",
        "collaboration",
        "communications",
        "compliance-management",
        "contact-management",
        "content-management",
        "crm",
        "customer-service-and-support",
        "data-analytics",
        "data-collection",
        "data-visualization",
        "digital-asset-management",
        "digital-citizenship",
        "document-management",
        "donor-management",
        "e-commerce",
        "e-signature",
        "email-management",
        "email-marketing",
        "employee-management",
        "enterprise-project-management",
        "enterprise-social-networking",
        "erp",
        "event-management",
        "facility-management",
        "feedback-and-reviews-management",
        "financial-reporting",
        "fleet-management",
        "fund-accounting",
        "geographic-information-systems",
        "grant-management",
        "graphic-design",
        "help-desk",
        "hr",
        "ide",
        "instant-messaging",
        "inventory-management",
        "it-asset-management",
        "it-development",
        "it-management",
        "it-security",
        "it-service-management",
        "knowledge-management",
        "laboratory-management",
        "learning-management-system",
        "marketing",
        "mind-mapping",
        "mobile-marketing",
        "mobile-payment",
        "network-management",
        "office",
        "online-booking",
        "online-community",
        "payment-gateway",
        "payroll",
        "predictive-analysis",
        "procurement",
        "productivity-suite",
        "project-collaboration",
        "project-management",
        "property-management",
        "real-estate-management",
        "remote-support",
        "resource-management",
        "sales-management",
        "seo",
        "service-desk-management",
        "social-media-management",
        "survey",
        "talent-management",
        "task-management",
        "taxes-management",
        "test-management",
        "time-management",
        "time-tracking",
        "translation",
        "video-conferencing",
        "video-editing",
        "visitor-management",
        "voip",
        "warehouse-management",
        "web-collaboration",
        "web-conferencing",
        "website-builder",
        "whistleblowing",
        "workflow-management",
    ]
)
MAINTENANCE_TYPE = {"internal", "contract", "community", "none"}
# SPDX identifiers the product may be released under (the standard takes any SPDX expression;
# this project publishes under the EUPL).
SPDX = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")


def publiccode_problems(data: Any) -> list[str]:
    """Every way `data` (the parsed file) breaks the standard's rules checked here."""
    if not isinstance(data, dict):
        return ["the file is not a mapping"]
    problems = [f"missing key: {key}" for key in REQUIRED_TOP if key not in data]
    if str(data.get("publiccodeYmlVersion", "")) not in {"0.2", "0.3", "0.4"}:
        problems.append("publiccodeYmlVersion must be 0.2, 0.3 or 0.4")
    if not str(data.get("url", "")).startswith(("https://", "http://")):
        problems.append("url must be the repository's URL")
    for key in ("platforms", "categories"):
        if key in data and (not isinstance(data[key], list) or not data[key]):
            problems.append(f"{key} must be a non-empty list")
    unknown = [c for c in data.get("categories") or [] if c not in CATEGORIES]
    if unknown:
        problems.append(f"categories not in the standard's list: {', '.join(map(str, unknown))}")
    if "developmentStatus" in data and data["developmentStatus"] not in DEVELOPMENT_STATUS:
        problems.append("developmentStatus is not one of the standard's values")
    if "softwareType" in data and data["softwareType"] not in SOFTWARE_TYPE:
        problems.append("softwareType is not one of the standard's values")
    description = data.get("description") or {}
    if not isinstance(description, dict) or not description:
        problems.append("description must have at least one language")
    else:
        for language, text in description.items():
            if not isinstance(text, dict):
                problems.append(f"description.{language} must be a mapping")
                continue
            problems += [
                f"missing key: description.{language}.{key}"
                for key in REQUIRED_DESCRIPTION
                if key not in text
            ]
            if len(str(text.get("shortDescription", ""))) > 150:
                problems.append(f"description.{language}.shortDescription is over 150 characters")
            long = str(text.get("longDescription", ""))
            if "longDescription" in text and not 150 <= len(long) <= 10000:
                problems.append(f"description.{language}.longDescription must be 150-10000 chars")
            features = text.get("features")
            if "features" in text and (not isinstance(features, list) or not features):
                problems.append(f"description.{language}.features must be a non-empty list")
            elif isinstance(features, list) and any(len(str(f)) > 100 for f in features):
                problems.append(f"description.{language}.features: an item is over 100 chars")
    legal = data.get("legal") or {}
    if not isinstance(legal, dict) or not SPDX.match(str(legal.get("license", ""))):
        problems.append("legal.license must be an SPDX expression")
    maintenance = data.get("maintenance") or {}
    kind = maintenance.get("type") if isinstance(maintenance, dict) else None
    if kind not in MAINTENANCE_TYPE:
        problems.append("maintenance.type is not one of the standard's values")
    elif kind in {"internal", "community"} and not maintenance.get("contacts"):
        problems.append("maintenance.contacts is required for internal or community maintenance")
    elif kind == "contract" and not maintenance.get("contractors"):
        problems.append("maintenance.contractors is required for contract maintenance")
    localisation = data.get("localisation") or {}
    if not isinstance(localisation, dict) or "localisationReady" not in localisation:
        problems.append("missing key: localisation.localisationReady")
    if not isinstance(localisation, dict) or not localisation.get("availableLanguages"):
        problems.append("missing key: localisation.availableLanguages")
    return problems


def check_file(path: Path) -> list[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot read {path}: {exc}"]
    return publiccode_problems(data)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "publiccode.yml")
    found = check_file(target)
    for problem in found:
        print(f"{target}: {problem}")
    if found:
        sys.exit(1)
    print(f"{target}: valid against the publiccode.yml standard's required keys")
