"""Fixtures of the coordinators' space: accounts in the shared test database, logged-in clients.

CSRF stays enabled (Flask-WTF checks it even with TESTING=True unless WTF_CSRF_ENABLED is False):
every form is posted with the token parsed from the page, as a browser would.
"""
from __future__ import annotations

import itertools
import re

import pytest

from app.core import models_coordination  # noqa: F401  (tables in Base.metadata until app/core/models.py imports it)
from app.coordination import users as accounts

PASSWORD = "correct horse battery staple"
_n = itertools.count()


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "no csrf_token in the page"
    return m.group(1)


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    page = client.get("/coordination/connexion" + (f"?next={next_url}" if next_url else ""))
    assert page.status_code == 200
    return client.post(page.request.full_path if next_url else "/coordination/connexion",
                       data={"email": email, "password": password, "csrf_token": csrf_token(page.text)})


@pytest.fixture(scope="session")
def app_settings(app):
    """The settings the app runs with (the session ``app`` may have been built with another
    directory's ``settings`` fixture, e.g. tests/api's, so never use ``settings`` directly)."""
    assert app.config.get("WTF_CSRF_ENABLED", True) is not False
    return app.config["REPERES"]


@pytest.fixture(scope="session")
def db_url(app_settings):
    return app_settings.database_url


@pytest.fixture
def make_user(db_url):
    def make(role: str | None = "coordinator", password: str = PASSWORD) -> str:
        email = f"user{next(_n)}-{role or 'none'}@coordination.test"
        accounts.create_user(db_url, email, password, role)
        return email
    return make


@pytest.fixture
def coordinator(app, make_user):
    client = app.test_client()
    response = login(client, make_user("coordinator"))
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def admin(app, make_user):
    client = app.test_client()
    assert login(client, make_user("admin")).status_code == 302
    return client
