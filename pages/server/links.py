"""Links a teacher sends the class to: one of the app's own pages with its settings, nothing else.

A teacher pastes a page's address (each page keeps its settings in its query string) or picks
a page; the link kept is relative ("pooling?size=3&stride=1"), so a student's banner can only
lead to a page of the same server, whatever was pasted.
"""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

# Parameters that belong to a student's session, not to a page's settings.
SESSION_PARAMS = {"student", "pushed"}
_KEY = re.compile(r"[A-Za-z0-9_]{1,40}")
MAX_PARAMS = 40
MAX_VALUE = 500


def page_link(text, pages):
    """The relative link to send, from a pasted address or a page name.

    pages: the URL paths a class may be sent to (e.g. {"pooling", "train"}).
    Raises ValueError with a sentence when it is not a link to one of them.
    """
    text = str(text).strip()
    if not text:
        raise ValueError("Paste the address of a page, or pick one.")
    if len(text) > 2000:
        raise ValueError("That address is too long to send.")
    parts = urlsplit(text)
    path = parts.path.rstrip("/").rsplit("/", 1)[-1] or "home"
    if path not in pages:
        raise ValueError(f"'{path[:60]}' is not one of the lesson pages; open the page you want, "
                         "copy its address from the browser and paste it here.")
    query = [(k, v[:MAX_VALUE]) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if _KEY.fullmatch(k) and k not in SESSION_PARAMS][:MAX_PARAMS]
    return path + ("?" + urlencode(query) if query else "")


def student_link(link, token, push_id):
    """The link as one student's banner shows it: with their token, so the page knows them."""
    sep = "&" if "?" in link else "?"
    return f"{link}{sep}{urlencode({'student': token, 'pushed': push_id})}"


def link_settings(link):
    """'size=3, stride=1' for the settings in a link ('' for none)."""
    return ", ".join(f"{k}={v}" for k, v in parse_qsl(urlsplit(link).query))
