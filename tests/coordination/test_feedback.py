"""The public's feedback on offers: stored without personal data, CSRF-protected, rate-limited,
aggregated on the quality pages, published only once a coordinator has moderated it."""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import func, inspect, select

from app import feedback as fb
from app.core.db import engine_for, session_scope
from app.core.models import Service
from app.core.models_feedback import ErrorReport, FeedbackHit, ServiceFeedback
from tests.coordination.conftest import csrf_token

_addresses = itertools.count(1)
_used: set[str] = set()


def visitor(app, address: str | None = None):
    """A test client with its own client address (the rate limit is per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or f"192.0.2.{next(_addresses)}"
    return client


@pytest.fixture
def service_id(db_url):
    """A live service nobody has given feedback on (each test its own)."""
    with session_scope(db_url) as session:
        taken = set(session.scalars(select(ServiceFeedback.service_id).distinct())) | \
            set(session.scalars(select(ErrorReport.service_id).distinct())) | _used
        for sid in session.scalars(select(Service.id).where(Service.retired_at.is_(None),
                                                            Service.code_insee.like("12%")).order_by(Service.id)):
            if sid not in taken:
                _used.add(sid)
                return sid
    raise AssertionError("no service left")


def evaluate(client, sid: str, headers: dict | None = None, **fields):
    page = client.get(f"/services/{quote(sid, safe='')}")
    assert page.status_code == 200
    return client.post("/avis", data={"service": sid, "csrf_token": csrf_token(page.text), **fields},
                       headers=headers or {})


def report(client, sid: str, categorie="horaires", texte="Fermé le mercredi depuis septembre."):
    page = client.get(f"/signaler-une-erreur?service={quote(sid, safe='')}")
    assert page.status_code == 200
    return client.post("/signaler-une-erreur", data={"service": sid, "categorie": categorie, "texte": texte,
                                                     "csrf_token": csrf_token(page.text)})


def evaluations(db_url, sid):
    with session_scope(db_url) as session:
        rows = list(session.scalars(select(ServiceFeedback).where(ServiceFeedback.service_id == sid)
                                    .order_by(ServiceFeedback.id)))
        session.expunge_all()
    return rows


def reports(db_url, sid):
    with session_scope(db_url) as session:
        rows = list(session.scalars(select(ErrorReport).where(ErrorReport.service_id == sid).order_by(ErrorReport.id)))
        session.expunge_all()
    return rows


def service_page(app, sid) -> str:
    response = visitor(app).get(f"/services/{quote(sid, safe='')}")
    assert response.status_code == 200
    return response.text


# -- the forms ----------------------------------------------------------------------------------
def test_service_page_has_the_evaluation_form(app, service_id):
    html = service_page(app, service_id)
    form = re.search(r'<form method="post" action="/avis".*?</form>', html, re.S).group(0)
    assert "Cette solution vous a-t-elle été utile ?" in form and "Les informations sont-elles exactes ?" in form
    assert set(re.findall(r'name="(utile|exactes)" value="(oui|non)"', form)) == {
        ("utile", "oui"), ("utile", "non"), ("exactes", "oui"), ("exactes", "non")}
    assert 'name="commentaire"' in form and csrf_token(form)
    assert f'name="service" value="{service_id}"' in form
    page = visitor(app).get(f"/signaler-une-erreur?service={quote(service_id, safe='')}").text
    assert 'action="/signaler-une-erreur"' in page and csrf_token(page)
    assert set(re.findall(r'name="categorie" value="([^"]+)"', page)) == set(fb.CATEGORIES)
    assert 'name="texte"' in page


# -- no personal data ---------------------------------------------------------------------------
FEEDBACK_COLUMNS = {
    "service_feedback": {"id", "service_id", "day", "useful", "accurate", "comment", "comment_status",
                         "moderated_at", "moderated_by"},
    "error_reports": {"id", "service_id", "day", "category", "text", "status", "moderated_at", "moderated_by"},
    "feedback_hits": {"id", "key", "at"},
}


def test_feedback_tables_have_no_column_for_personal_data(db_url):
    inspector = inspect(engine_for(db_url))
    for table, expected in FEEDBACK_COLUMNS.items():
        assert {c["name"] for c in inspector.get_columns(table)} == expected


def test_an_evaluation_is_stored_without_personal_data(app, db_url, service_id):
    client = visitor(app, "198.51.100.23")
    comment = ("<b>Très</b> bien reçu. Écrivez-moi : jean.dupont@example.org, 06 12 34 56 78 "
               "ou +33 7 11 22 33 44 ; mon identifiant 1234567 ; <script>alert(1)</script>fin")
    response = evaluate(client, service_id, utile="oui", exactes="non", commentaire=comment,
                        headers={"User-Agent": "SecretBrowser/9.9"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("avis=merci#avis")
    [row] = evaluations(db_url, service_id)
    assert row.useful is True and row.accurate is False
    assert row.day == dt.date.today() and row.comment_status == "pending"
    assert row.comment == "Très bien reçu. Écrivez-moi : [retiré], [retiré] ou [retiré] ; " \
                          "mon identifiant [retiré] ; fin"
    stored = " ".join(str(getattr(row, c)) for c in FEEDBACK_COLUMNS["service_feedback"])
    for secret in ("198.51.100.23", "SecretBrowser", "dupont", "example.org", "06 12", "34 56 78", "1234567",
                   "<b>", "script"):
        assert secret not in stored
    # the rate limit keeps a keyed hash of the address, not the address nor its plain SHA-256
    with session_scope(db_url) as session:
        keys = set(session.scalars(select(FeedbackHit.key)))
    assert fb.client_key(app.config["SECRET_KEY"], "198.51.100.23") in keys
    assert hashlib.sha256(b"198.51.100.23").hexdigest() not in keys
    assert not any("198.51.100.23" in k for k in keys)


def test_an_error_report_is_stored_scrubbed(app, db_url, service_id):
    response = report(visitor(app), service_id, "coordonnees",
                      "Le numéro a changé, appelez Mme Martin au 05 65 68 00 00 ou martin@mairie.fr")
    assert response.status_code == 303
    [row] = reports(db_url, service_id)
    assert row.category == "coordonnees" and row.status == "new"
    assert row.text == "Le numéro a changé, appelez Mme Martin au [retiré] ou [retiré]"


def test_scrub_text():
    assert fb.scrub_text("  a < b &amp; <i>c</i>\n\n\n\nd  ", 100) == "a < b & c\n\nd"
    assert fb.scrub_text("NIR 1 85 05 78 006 084 36, né le 12/03/1987 à 9h", 100) == \
        "NIR [retiré], né le 12/03/1987 à 9h"
    assert fb.scrub_text("<p></p>", 100) is None
    assert len(fb.scrub_text("x" * 5000, 1000)) == 1000


# -- refusals -----------------------------------------------------------------------------------
def test_posts_without_a_valid_csrf_token_are_refused(app, db_url, service_id):
    client = visitor(app)
    client.get(f"/services/{quote(service_id, safe='')}")  # a session exists, the token is not sent
    for data in ({"service": service_id, "utile": "oui"}, {"service": service_id, "utile": "oui", "csrf_token": "forged"}):
        assert client.post("/avis", data=data).status_code == 400
    response = client.post("/signaler-une-erreur", data={"service": service_id, "categorie": "horaires",
                                                         "texte": "faux", "csrf_token": "forged"})
    assert response.status_code == 400 and "Formulaire expiré" in response.text
    assert evaluations(db_url, service_id) == [] and reports(db_url, service_id) == []


def test_incomplete_or_unknown_input_is_refused(app, db_url, service_id):
    client = visitor(app)
    assert evaluate(client, service_id).status_code == 400  # nothing answered
    assert evaluate(client, service_id, utile="peut-être").status_code == 400
    assert evaluate(client, service_id, commentaire="a.b@c.fr").status_code == 400  # nothing left once scrubbed
    assert report(client, service_id, categorie="nimporte").status_code == 400
    assert report(client, service_id, texte="   ").status_code == 400
    token = csrf_token(client.get(f"/services/{quote(service_id, safe='')}").text)
    assert client.post("/avis", data={"service": "nope--nothing", "utile": "oui", "csrf_token": token}).status_code == 404
    assert evaluations(db_url, service_id) == [] and reports(db_url, service_id) == []


def test_submissions_are_rate_limited_per_address(app, db_url, service_id):
    limit = app.config["REPERES"].feedback_rate_limit
    client = visitor(app)
    for i in range(limit - 1):
        assert evaluate(client, service_id, utile="oui").status_code == 303, i
    assert report(client, service_id).status_code == 303  # reports count in the same budget
    response = evaluate(client, service_id, utile="non")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == app.config["REPERES"].feedback_rate_window_minutes * 60
    assert report(client, service_id).status_code == 429
    assert len(evaluations(db_url, service_id)) == limit - 1 and len(reports(db_url, service_id)) == 1
    assert evaluate(visitor(app), service_id, utile="non").status_code == 303  # another address


def test_old_feedback_is_deleted_open_reports_stay(db_url, service_id):
    old = dt.date.today() - dt.timedelta(days=400)
    fb.submit_evaluation(db_url, service_id, True, True, None, 365, today=old)
    open_id = fb.submit_report(db_url, service_id, "horaires", "fermé", 365, today=old)
    closed_id = fb.submit_report(db_url, service_id, "horaires", "fermé aussi", 365, today=old)
    fb.set_report_status(db_url, closed_id, fb.REPORT_FIXED, None)
    assert len(evaluations(db_url, service_id)) == 1
    fb.submit_evaluation(db_url, service_id, False, None, None, 365)  # any write prunes
    assert [r.useful for r in evaluations(db_url, service_id)] == [False]
    assert [r.id for r in reports(db_url, service_id)] == [open_id]


# -- coordinators -------------------------------------------------------------------------------
def test_moderation_page_needs_a_coordinator_and_csrf(app, coordinator, service_id):
    assert visitor(app).get("/coordination/avis").status_code == 302
    assert report(visitor(app), service_id).status_code == 303
    page = coordinator.get("/coordination/avis")
    assert page.status_code == 200 and service_id in page.text
    report_id = int(re.findall(r'data-signalement="(\d+)"', page.text)[-1])
    assert coordinator.post(f"/coordination/avis/signalements/{report_id}", data={"decision": "confirmer"}).status_code == 400
    assert visitor(app).post(f"/coordination/avis/signalements/{report_id}",
                             data={"decision": "confirmer"}).status_code == 400
    assert [r.status for r in reports(coordinator.application.config["REPERES"].database_url, service_id)] == ["new"]


def moderate(coordinator, kind: str, item_id: int, decision: str):
    page = coordinator.get("/coordination/avis")
    response = coordinator.post(f"/coordination/avis/{kind}/{item_id}",
                                data={"decision": decision, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303, response.text
    return response


def test_aggregates_show_on_the_quality_pages(app, coordinator, db_url, service_id):
    client = visitor(app)
    evaluate(client, service_id, utile="oui", exactes="oui")
    evaluate(client, service_id, utile="oui", exactes="non")
    evaluate(client, service_id, utile="non", commentaire="Personne ne répond")
    report(client, service_id)
    source = service_id.split("--", 1)[0]
    page = coordinator.get(f"/coordination/qualite/{source}").text
    row = re.search(rf'<tr data-avis-service="{re.escape(service_id)}">.*?</tr>', page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', row, re.S)]
    assert cells == ["3", "66,7 %", "50,0 %", "1", "1"]  # evaluations, useful, accurate, open reports, comments
    overview = coordinator.get("/coordination/qualite").text
    totals = fb.stats_by_source(db_url)[source]
    cell = re.search(rf'data-avis="{re.escape(source)}">(.*?)</td>', overview, re.S).group(1)
    assert cell.startswith(f"{totals.evaluations} (") and totals.evaluations >= 3
    assert re.search(rf'data-signalements="{re.escape(source)}"><a [^>]*>{totals.open_reports}</a>', overview)


def test_a_comment_is_published_only_once_moderated(app, coordinator, db_url, service_id):
    client = visitor(app)
    evaluate(client, service_id, utile="oui", commentaire="Accueil chaleureux, très utile pour mon permis.")
    evaluate(client, service_id, utile="non", commentaire="Commentaire à ne jamais publier.")
    html = service_page(app, service_id)
    assert "Accueil chaleureux" not in html and "jamais publier" not in html and "data-commentaire" not in html
    kept, dropped = evaluations(db_url, service_id)
    moderate(coordinator, "commentaires", kept.id, "publier")
    moderate(coordinator, "commentaires", dropped.id, "rejeter")
    html = service_page(app, service_id)
    assert "Accueil chaleureux, très utile pour mon permis." in html
    assert "jamais publier" not in html
    kept, dropped = evaluations(db_url, service_id)
    assert kept.comment_status == "published" and kept.moderated_by is not None
    assert dropped.comment_status == "rejected" and dropped.comment is None  # its text is erased
    assert "Accueil chaleureux" not in coordinator.get("/coordination/avis").text  # left the queue


def marks(html: str) -> list[str]:
    return re.findall(r'data-marque="([^"]+)"', html)


def test_a_confirmed_error_report_marks_the_page_until_closed(app, coordinator, db_url, service_id):
    report(visitor(app), service_id, "horaires", "Fermé le mercredi.")
    assert marks(service_page(app, service_id)) == []  # not read by anyone yet
    [row] = reports(db_url, service_id)
    moderate(coordinator, "signalements", row.id, "confirmer")
    html = service_page(app, service_id)
    assert marks(html) == ["signale"] and "Erreur signalée" in html
    text = unescape(html)
    assert "horaires d'ouverture" in text and "Fermé le mercredi" not in text  # the category, never the text
    moderate(coordinator, "signalements", row.id, "corrigee")
    assert marks(service_page(app, service_id)) == []
    assert reports(db_url, service_id)[0].status == "fixed"


def test_verified_mark_needs_enough_positive_votes_and_no_confirmed_report(app, coordinator, db_url, service_id):
    needed = app.config["REPERES"].feedback_verified_votes
    for _ in range(needed - 1):
        evaluate(visitor(app), service_id, utile="oui", exactes="oui")
    evaluate(visitor(app), service_id, utile="oui")  # only one question answered: not a positive vote
    assert marks(service_page(app, service_id)) == []
    evaluate(visitor(app), service_id, utile="oui", exactes="oui")
    html = service_page(app, service_id)
    assert marks(html) == ["verifie"] and f"{needed} personnes ont trouvé" in html
    report(visitor(app), service_id)
    moderate(coordinator, "signalements", reports(db_url, service_id)[0].id, "confirmer")
    assert marks(service_page(app, service_id)) == ["signale"]


def test_mark_of_needs_three_quarters_accurate():
    stats = fb.FeedbackStats(evaluations=6, positive=3, accurate_yes=3, accurate_no=2)
    assert fb.mark_of(stats, 3) is None
    stats.accurate_no = 1
    assert fb.mark_of(stats, 3) == fb.MARK_VERIFIED
    stats.reports_new = 2
    assert fb.mark_of(stats, 3) == fb.MARK_VERIFIED  # unread reports change nothing
    stats.reports_confirmed = 1
    assert fb.mark_of(stats, 3) == fb.MARK_REPORTED


def test_counts_in_the_database_match_the_figures(db_url, service_id):
    fb.submit_evaluation(db_url, service_id, True, True, None, 365)
    fb.submit_evaluation(db_url, service_id, False, None, "bof", 365)
    stats = fb.stats_by_service(db_url, [service_id])[service_id]
    with session_scope(db_url) as session:
        n = session.scalar(select(func.count()).select_from(ServiceFeedback).where(
            ServiceFeedback.service_id == service_id))
    assert stats.evaluations == n == 2
    assert (stats.useful_yes, stats.useful_no, stats.positive, stats.comments_pending) == (1, 1, 1, 1)
    assert stats.share_useful == 0.5 and stats.share_accurate == 1.0
