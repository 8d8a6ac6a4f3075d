"""The administrators' lists: services, canned answers, routing rules."""

import pytest
from django.urls import reverse

from tickets.models import ServiceKeywordRule
from tickets.tests.factories import CannedAnswerFactory, MunicipalServiceFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory


@pytest.fixture
def administrator(client, db):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    return client


def _fill(size):
    for n in range(size):
        service = MunicipalServiceFactory()
        ServiceKeywordRule.objects.create(service=service, keyword=f"parola{n}")
        CannedAnswerFactory()


@pytest.mark.parametrize("size", [2, 30])
@pytest.mark.parametrize("model", ["municipalservice", "cannedanswer", "servicekeywordrule"])
def test_the_catalogue_lists_run_a_fixed_number_of_queries(
    administrator, model, size, django_assert_max_num_queries
):
    _fill(size)

    with django_assert_max_num_queries(10):
        response = administrator.get(reverse(f"admin:tickets_{model}_changelist"))

    assert response.status_code == 200


def test_a_keyword_rule_is_stored_in_lower_case(administrator):
    service = MunicipalServiceFactory()

    administrator.post(
        reverse("admin:tickets_servicekeywordrule_add"),
        {"service": service.pk, "keyword": " Passo Carrabile ", "weight": 5},
    )

    assert ServiceKeywordRule.objects.get(service=service).keyword == "passo carrabile"


def test_operators_may_read_but_not_change_the_services(client, db):
    client.force_login(UserFactory(roles=[Role.OPERATOR]))
    service = MunicipalServiceFactory()

    assert client.get(reverse("admin:tickets_municipalservice_changelist")).status_code == 200
    response = client.post(
        reverse("admin:tickets_municipalservice_change", args=[service.pk]),
        {"slug": service.slug, "name": "Altro nome", "email": "", "is_active": "on"},
    )
    assert response.status_code == 403
