"""Which language a request is answered in."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from flask import request, session

LANGUAGES = ("vi", "en")


def asked_lang(query: str) -> str | None:
    """The language a URL's query string asks for (`lang=en`), if it names one we have."""
    lang = parse_qs(query).get("lang", [None])[0]
    return lang if lang in LANGUAGES else None


def current_lang() -> str:
    """A page load's `?lang=` (remembered in the session), else the `?lang=` of the page a
    callback comes from (its Referer), else the session's choice.

    The page's own URL goes before the session because the session cookie is re-sent by every
    answer: an answer to a callback of the page the person just left can arrive after the new
    page's load and put the old language back into the cookie."""
    asked = asked_lang(request.query_string.decode("latin-1"))
    if asked:
        session["lang"] = asked
        return asked
    return asked_lang(urlparse(request.referrer or "").query) or session.get("lang", "vi")
