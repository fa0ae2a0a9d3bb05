"""Producer-supplied text made safe for our pages.

Descriptions and "précisions" come from dozens of producers: plain text, Markdown, or HTML (some of
it pasted from word processors). Everything goes through nh3 (an allow-list HTML sanitiser) before
it reaches a page; links keep only http(s), mailto and tel schemes. Headings are flattened so a
producer's ``<h1>`` can never break a page's outline.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup, escape

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_HTML_TAG = re.compile(r"</?(p|br|ul|ol|li|strong|em|b|i|a|div|span|h[1-6]|table|font)\b[^>]*>", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^)\s]{1,2000})\)")
_BARE_URL = re.compile(r"(?<![\"'=>])\b(https?://[^\s<>\"']{3,2000}[^\s<>\"'.,;:!?)])")
_BOLD = re.compile(r"\*\*(?=\S)(.{1,500}?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])[*_](?=\S)([^*_\n]{1,300}?)(?<=\S)[*_](?![*\w])")


def rich(text: str | None) -> Markup:
    """HTML for a producer's free text (HTML, Markdown-ish or plain), sanitised by nh3."""
    if not text or not text.strip():
        return Markup("")
    source = text if _HTML_TAG.search(text) else _markdown(text)
    cleaned = nh3.clean(source, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer nofollow", strip_comments=True)
    return Markup(cleaned)


def plain(text: str | None, limit: int | None = None) -> str:
    """The words of a producer's text without any markup (meta descriptions, PDF, titles)."""
    if not text:
        return ""
    stripped = nh3.clean(text, tags=set(), attributes={})
    stripped = re.sub(r"[*_#`>\[\]]+", "", _unescape(stripped))
    stripped = re.sub(r"\s+", " ", stripped).strip()
    if limit and len(stripped) > limit:
        stripped = stripped[: limit - 1].rsplit(" ", 1)[0] + "…"
    return stripped


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for an ``href``, or None (no ``javascript:`` or ``data:``)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def phone(number: str | None) -> str:
    """A phone number as people write it in France ("05 65 68 00 00"); E.164 stays in ``tel:`` links."""
    if not number:
        return ""
    try:
        import phonenumbers

        parsed = phonenumbers.parse(number, "FR")
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    except Exception:  # any oddity: show what the producer gave
        pass
    return number


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _inline(escaped: str) -> str:
    out = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', escaped)
    out = _BARE_URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _ITALIC.sub(r"<em>\1</em>", out)


def _markdown(text: str) -> str:
    """Just enough Markdown for producers' texts: paragraphs, line breaks, lists, bold, links."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    html_blocks = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        lines = [re.sub(r"^\s*#{1,6}\s+", "", line) for line in lines]  # headings become plain lines
        if lines and all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{_inline(str(escape(_BULLET.sub('', line))))}</li>" for line in lines)
            html_blocks.append(f"<ul>{items}</ul>")
            continue
        # a paragraph that ends with a list ("Pour qui :\n- jeunes\n- seniors")
        head = []
        while lines and not _BULLET.match(lines[0]):
            head.append(lines.pop(0))
        if head:
            html_blocks.append("<p>" + "<br>".join(_inline(str(escape(line.strip()))) for line in head) + "</p>")
        if lines:
            items = "".join(f"<li>{_inline(str(escape(_BULLET.sub('', line))))}</li>" for line in lines)
            html_blocks.append(f"<ul>{items}</ul>")
    return "".join(html_blocks)


# -- dates and freshness -------------------------------------------------------------------------
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def date_fr(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day}{'er' if value.day == 1 else ''} {MONTHS[value.month - 1]} {value.year}"


def freshness(value: dt.date | None, today: dt.date | None = None) -> tuple[str, str]:
    """(level, words): how fresh a record is — ``recent`` (< 6 months), ``ancien`` (< 2 years), ``perime``."""
    if value is None:
        return "inconnu", "date de mise à jour inconnue"
    today = today or dt.date.today()
    if isinstance(value, dt.datetime):
        value = value.date()
    days = (today - value).days
    if days < 0:
        days = 0
    if days < 31:
        words = "il y a moins d'un mois"
    elif days < 365:
        words = f"il y a {days // 30} mois"
    else:
        years = days // 365
        words = f"il y a {years} an{'s' if years > 1 else ''}"
    level = "recent" if days < 183 else "ancien" if days < 730 else "perime"
    return level, words
