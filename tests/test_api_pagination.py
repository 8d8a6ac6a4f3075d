"""Lists answer {"results", "next"}; lists that grow page by cursor."""

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.test import APIRequestFactory, force_authenticate

from urp_portal.accounts.models import ApiToken
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, make_api_token
from urp_portal.api.pagination import ApiCursorPagination, ApiPageNumberPagination

pytestmark = pytest.mark.django_db


class TokenRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name"]


class GrowingListView(ListAPIView):
    queryset = ApiToken.all_comuni.all()  # built at import: no scope then
    serializer_class = TokenRowSerializer


class SmallListView(GrowingListView):
    pagination_class = ApiPageNumberPagination


def get(view, path: str, **params):
    request = APIRequestFactory().get(path, params)
    force_authenticate(request, user=UserFactory(username="reader"))
    response = view.as_view()(request)
    response.render()
    return response


def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def test_lists_page_by_cursor_by_default_newest_first():
    names = [make_api_token(Role.OPERATOR, name=f"sistema {i}")[0].name for i in range(5)]

    first = get(GrowingListView, "/api/v1/things/", page_size=2)

    assert set(first.data) == {"results", "next", "previous"}
    assert [row["name"] for row in first.data["results"]] == names[::-1][:2]
    assert "cursor=" in first.data["next"]


def test_following_next_walks_every_row_once():
    made = {make_api_token(Role.OPERATOR, name=f"s{i}")[0].pk for i in range(5)}
    seen: list[int] = []
    response = get(GrowingListView, "/api/v1/things/", page_size=2)

    while True:
        seen.extend(row["id"] for row in response.data["results"])
        if response.data["next"] is None:
            break
        cursor = cursor_of(response.data["next"])
        response = get(GrowingListView, "/api/v1/things/", page_size=2, cursor=cursor)

    assert sorted(seen) == sorted(made)
    assert len(seen) == len(made)


def test_rows_added_while_paging_do_not_shift_the_pages():
    for i in range(4):
        make_api_token(Role.OPERATOR, name=f"s{i}")
    first = get(GrowingListView, "/api/v1/things/", page_size=2)
    cursor = cursor_of(first.data["next"])

    make_api_token(Role.OPERATOR, name="nuovo")
    second = get(GrowingListView, "/api/v1/things/", page_size=2, cursor=cursor)

    first_ids = {row["id"] for row in first.data["results"]}
    second_ids = {row["id"] for row in second.data["results"]}
    assert first_ids.isdisjoint(second_ids)
    assert len(second_ids) == 2


def test_page_size_is_capped():
    assert ApiCursorPagination.max_page_size == 200
    for i in range(3):
        make_api_token(Role.OPERATOR, name=f"s{i}")

    response = get(GrowingListView, "/api/v1/things/", page_size=10_000)

    assert len(response.data["results"]) == 3


def test_small_lists_page_by_number_with_a_count():
    for i in range(3):
        make_api_token(Role.OPERATOR, name=f"s{i}")

    response = get(SmallListView, "/api/v1/small/", page_size=2)

    assert response.data["count"] == 3
    assert len(response.data["results"]) == 2
    assert "page=2" in response.data["next"]
