"""The server's address alone leads to the console: a new user types no path."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_server_s_address_leads_an_anonymous_visitor_to_the_console_s_sign_in(client):
    response = client.get("/", follow=True)

    assert response.redirect_chain[0] == (reverse("admin:index"), 302)
    assert response.request["PATH_INFO"] == reverse("admin:login")
    assert response.status_code == 200
