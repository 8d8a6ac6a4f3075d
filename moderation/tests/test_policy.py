import pytest

from moderation.models import PolicyCategory

pytestmark = pytest.mark.django_db


def test_the_nine_categories_of_the_published_policy_exist():
    codes = list(PolicyCategory.objects.values_list("code", flat=True))

    assert codes == [
        "illegal",
        "offensive",
        "defamation_threat",
        "third_party_data",
        "discrimination",
        "spam_links",
        "promotion",
        "copyright",
        "fundraising",
    ]
    assert PolicyCategory.objects.get(code="defamation_threat").may_be_reported
