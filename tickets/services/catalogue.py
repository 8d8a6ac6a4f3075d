"""Each comune's municipal services and rules for other channels, on a deployment serving
several."""

from django.db import transaction

from urp_portal.municipality.models import Municipality

from ..models import ElsewhereRule, MunicipalService, ServiceKeywordRule


@transaction.atomic
def municipal_services_copy_to(*, comune: Municipality) -> int:
    """A comune added by `load_preset --comune` gets the deployment's catalogue of services
    (the rows with no comune: the five every preset has, as the administrator left them) with
    their routing words; its staff then edit its own. A code it already has is left alone, so
    loading the preset again changes nothing. Returns how many were made."""
    have = set(MunicipalService.all_comuni.filter(comune=comune).values_list("slug", flat=True))
    made = 0
    # all_comuni throughout: load_preset runs outside any comune's scope.
    words: dict[int, list[ServiceKeywordRule]] = {}
    for rule in ServiceKeywordRule.all_comuni.filter(service__comune__isnull=True):
        words.setdefault(rule.service_id, []).append(rule)
    for template in MunicipalService.all_comuni.filter(comune__isnull=True):
        if template.slug in have:
            continue
        service = MunicipalService.all_comuni.create(
            comune=comune, slug=template.slug, name=template.name, email=""
        )
        ServiceKeywordRule.all_comuni.bulk_create(
            ServiceKeywordRule(service=service, keyword=rule.keyword, weight=rule.weight)
            for rule in words.get(template.pk, [])
        )
        made += 1
    return made


@transaction.atomic
def elsewhere_rules_copy_to(*, comune: Municipality) -> int:
    """A comune added by `load_preset --comune` gets the deployment's rules for requests that
    belong elsewhere (the rows with no comune: the seed as the active comune's administrator
    left it); its administrators then edit their own, which no other comune's citizen is read
    with. A rule it already has is left alone (loading the preset again adds nothing). Returns
    how many were made."""
    have = set(
        ElsewhereRule.all_comuni.filter(comune=comune).values_list("kind", "phrase", "is_exception")
    )
    made = ElsewhereRule.all_comuni.bulk_create(
        ElsewhereRule(
            comune=comune,
            kind=rule.kind,
            phrase=rule.phrase,
            is_exception=rule.is_exception,
            is_active=rule.is_active,
        )
        for rule in ElsewhereRule.all_comuni.filter(comune__isnull=True)
        if (rule.kind, rule.phrase, rule.is_exception) not in have
    )
    return len(made)
