"""Text helpers shared by connectors whose sources hold HTML or Markdown in free-text fields.

Nothing of the markup is kept: tags are removed by ``nh3`` (a real HTML sanitiser, so no regex
games with ``<script>`` or broken tags), entities are decoded, block ends become line breaks and
Markdown emphasis, headings and links are reduced to their words.
"""
from __future__ import annotations

import html
import re

import nh3

_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/li|/ul|/ol|/div|/h[1-6]|/tr)\s*>")
_LIST_ITEM = re.compile(r"(?i)<\s*li[^>]*>")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_HEADING = re.compile(r"(?m)^\s{0,3}#{1,6}\s+")


def plain_text(value, max_len: int | None = None) -> str | None:
    """Readable plain text from HTML or Markdown (None for empty input)."""
    if value is None:
        return None
    text = str(value)
    if not text.strip():
        return None
    if "<" in text or "&" in text:
        text = _LIST_ITEM.sub("\n- ", text)
        text = _BLOCK_END.sub("\n", text)
        text = nh3.clean(text, tags=set())
        text = html.unescape(text)
        text = html.unescape(text)  # sources that escaped their HTML once more (LHEO &lt;p&gt;)
        if "<" in text:
            text = nh3.clean(_BLOCK_END.sub("\n", _LIST_ITEM.sub("\n- ", text)), tags=set())
            text = html.unescape(text)
    text = _MD_LINK.sub(r"\1 (\2)", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_HEADING.sub("", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    text = re.sub(r"\n\n(?=- )", "\n", text).strip()
    if not text or text == "-":
        return None
    if max_len and len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def join_paragraphs(*parts) -> str | None:
    """Non-empty parts joined by blank lines (None if all empty)."""
    kept = [p.strip() for p in parts if p and str(p).strip() and str(p).strip() != "-"]
    return "\n\n".join(dict.fromkeys(kept)) or None
