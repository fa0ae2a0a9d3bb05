"""Login, roles, CSRF, logout, rate limiting, accounts from the CLI."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.core.db import session_scope
from app.core.models_coordination import LoginFailure, User
from tests.coordination.conftest import PASSWORD, csrf_token, login

PAGES = ["/coordination/", "/coordination/couverture?departement=12&thematiques=mobilite",
         "/coordination/couverture.geojson?departement=12&thematiques=mobilite",
         "/coordination/couverture.csv?departement=12&thematiques=mobilite",
         "/coordination/matrice?departement=12", "/coordination/demande?departement=12", "/coordination/qualite",
         "/coordination/qualite/data-inclusion", "/coordination/import"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_redirected_to_the_login_form(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/coordination/connexion?next=")


def test_login_form_has_email_password_and_csrf_token(client):
    page = client.get("/coordination/connexion")
    assert page.status_code == 200
    names = set(re.findall(r'<input[^>]*name="([^"]+)"', page.text))
    assert {"email", "password", "csrf_token"} <= names
    assert csrf_token(page.text)


def test_login_through_the_form_then_logout(app, make_user):
    client = app.test_client()
    email = make_user("coordinator")
    response = login(client, email, next_url="/coordination/qualite")
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordination/qualite"
    page = client.get("/coordination/qualite")
    assert page.status_code == 200 and email in page.text
    cookie = next(c for c in client._cookies.values() if c.key == "session")
    assert cookie.http_only and cookie.secure and cookie.same_site == "Lax"
    # logout is a POST with the token
    assert client.post("/coordination/deconnexion").status_code == 400
    response = client.post("/coordination/deconnexion", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/coordination/qualite").status_code == 302


def test_wrong_password_is_refused(app, make_user):
    client = app.test_client()
    response = login(client, make_user("coordinator"), password="not the password at all")
    assert response.status_code == 401
    assert "incorrect" in response.text
    assert client.get("/coordination/").status_code == 302


def test_external_next_is_ignored(app, make_user):
    client = app.test_client()
    response = login(client, make_user("coordinator"), next_url="https://evil.example/")
    assert response.headers["Location"] == "/coordination/"


def test_csrf_less_post_is_refused(app, make_user):
    client = app.test_client()
    email = make_user("coordinator")
    client.get("/coordination/connexion")  # a session exists, but the form is posted without its token
    response = client.post("/coordination/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    response = client.post("/coordination/connexion", data={"email": email, "password": PASSWORD,
                                                           "csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/coordination/").status_code == 302  # not logged in


def test_user_without_role_gets_403(app, make_user):
    client = app.test_client()
    assert login(client, make_user(None)).status_code == 302
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_coordinator_sees_pages_but_not_the_upload(coordinator):
    for url in PAGES[:-1]:
        assert coordinator.get(url).status_code == 200, url
    assert coordinator.get("/coordination/import").status_code == 403


def test_admin_sees_the_upload(admin):
    page = admin.get("/coordination/import")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text and 'type="file"' in page.text


def test_password_is_stored_as_an_argon2id_hash(db_url, make_user):
    email = make_user("coordinator")
    with session_scope(db_url) as session:
        stored = session.scalar(select(User.password_hash).where(User.email == email))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_rate_limit_after_failed_logins(app, app_settings, make_user):
    settings = app_settings
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    email = make_user("coordinator")
    limit = settings.login_rate_limit
    for _ in range(limit):
        assert login(client, email, password="wrong password here").status_code == 401
    # even the right password is refused now, with a 429 and Retry-After
    response = login(client, email)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(settings.login_rate_window_minutes * 60)
    assert "Trop de tentatives" in response.text
    # another address is not blocked
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.45"
    assert login(other, email).status_code == 302
    # what is kept: a hash, not the address nor the e-mail
    with session_scope(settings.database_url) as session:
        keys = list(session.scalars(select(LoginFailure.key)))
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)


def test_disabled_account_loses_its_session(app, db_url, make_user):
    from app.coordination import users as accounts

    client = app.test_client()
    email = make_user("coordinator")
    assert login(client, email).status_code == 302
    assert client.get("/coordination/").status_code == 200
    accounts.set_active(db_url, email, False)
    assert client.get("/coordination/").status_code == 302
    assert login(client, email).status_code == 401


def test_cli_creates_a_coordinator_who_logs_in_and_gets_the_aveyron_mobility_map(app, app_settings):
    settings = app_settings
    from indexer.cli import main

    env = {"REPERES_INSTANCE_DIR": str(settings.instance_dir), "REPERES_DATABASE_URL": settings.database_url}
    runner = CliRunner()
    result = runner.invoke(main, ["users", "create", "cli-coord@coordination.test", "--role", "coordinator",
                                  "--password-stdin"], input=PASSWORD + "\n", env=env)
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["users", "list"], env=env)
    assert "cli-coord@coordination.test" in listed.output and "coordinator" in listed.output
    again = runner.invoke(main, ["users", "create", "cli-coord@coordination.test", "--password-stdin"],
                          input=PASSWORD + "\n", env=env)
    assert again.exit_code != 0 and "existe déjà" in again.output

    client = app.test_client()
    url = "/coordination/couverture?departement=12&thematiques=mobilite"
    assert client.get(url).status_code == 302
    assert login(client, "cli-coord@coordination.test", next_url=url.replace("&", "%26")).status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="carte"' in page.text and "<svg" in page.text and "Aveyron" in page.text

    result = runner.invoke(main, ["users", "disable", "cli-coord@coordination.test"], env=env)
    assert result.exit_code == 0
    assert client.get(url).status_code == 302
