"""The rules of a class: who may make one, join one, open its board; what is recorded.

    made = create_class(store, "Period 3")        # made.code "7K2QM9XD", made.key (shown once)
    me = join(store, "7k2q-m9xd", "Ana")           # me.token goes in the student's address
    record_answer(store, me, "output size", 1, "13", right=True)
    cls = open_board(store, "7K2Q-M9XD", made.key)  # ClassError after a wrong key; slower each time

Every refusal is a ClassError (a ValueError) with a sentence to show as it is.
"""

import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from pages.server import codes

NAME_MAX = 40           # characters in a display name
CLASS_NAME_MAX = 80
DEFAULT_CLASS_SIZE = 100
LARGEST_CLASS = 1000
MAX_CLASSES = 500       # open classes on one database
FREE_KEY_TRIES = 3      # wrong teacher keys in a row before each try has to wait
LONGEST_KEY_WAIT = 60   # seconds
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


class ClassError(ValueError):
    """A refusal with a sentence for the person who asked."""


@dataclass(frozen=True)
class NewClass:
    id: int
    code: str
    name: str
    key: str  # the teacher key in clear: shown once, never stored


@dataclass(frozen=True)
class Member:
    """A student in a class, as their session remembers them."""

    token: str
    student_id: int
    class_id: int
    class_name: str
    code: str
    name: str


def clean_name(text, limit=NAME_MAX, what="name"):
    """A display name as it will be shown: one line, spaces collapsed, at most `limit` characters."""
    name = " ".join(unicodedata.normalize("NFC", str(text)).split())
    if not name:
        raise ClassError(f"Type a {what}.")
    if len(name) > limit:
        raise ClassError(f"A {what} has at most {limit} characters; this one has {len(name)}.")
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        raise ClassError(f"A {what} cannot hold control characters.")
    return name


def key_wait(failures):
    """Seconds before the next teacher key is tried, after this many wrong ones in a row."""
    if failures < FREE_KEY_TRIES:
        return 0
    return min(2 ** (failures - FREE_KEY_TRIES), LONGEST_KEY_WAIT)


def create_class(store, name, max_students=DEFAULT_CLASS_SIZE, now=None):
    name = clean_name(name, CLASS_NAME_MAX, "class name")
    if not 1 <= int(max_students) <= LARGEST_CLASS:
        raise ClassError(f"A class has between 1 and {LARGEST_CLASS:,} students.")
    if store.count_classes() >= MAX_CLASSES:
        raise ClassError(f"This server already holds {MAX_CLASSES} classes: end an old one first.")
    key = codes.new_secret()
    key_hash = codes.hash_key(key)
    for _ in range(5):  # a new code that is already taken: about one in 10^9 per open class
        code = codes.new_join_code()
        try:
            class_id = store.add_class(code, name, key_hash, int(max_students), now or time.time())
        except IntegrityError:
            continue
        return NewClass(class_id, code, name, key)
    raise ClassError("Could not find a free class code; try again.")


def find_class(store, code_text):
    """The class row a typed code names, or ClassError."""
    code = codes.read_code(code_text)
    if code is None:
        raise ClassError(f"A class code is {codes.CODE_LENGTH} letters and digits, like 7K2Q-M9XD.")
    row = store.class_by_code(code)
    if row is None:
        raise ClassError(f"No class has the code {codes.show_code(code)}: check it with your teacher.")
    return row


def join(store, code_text, name, now=None):
    """Join a class with its code and a display name; returns the Member."""
    name = clean_name(name)
    cls = find_class(store, code_text)
    token = codes.new_secret()
    result = store.add_student(cls["id"], codes.token_digest(token), name, name.casefold(), now or time.time())
    if result == "full":
        raise ClassError(f"The class {cls['name']} is full ({cls['max_students']} students).")
    if result == "name taken":
        raise ClassError(f"Someone in this class is already called {name}: add an initial.")
    if result == "no class":
        raise ClassError("That class has just ended.")
    return Member(token, result, cls["id"], cls["name"], cls["code"], name)


def member(store, token):
    """The Member a student token belongs to while they are in a class, else None."""
    if not token or len(str(token)) > 100:
        return None
    row = store.student_by_token(codes.token_digest(token))
    if row is None:
        return None
    return Member(str(token), row["id"], row["class_id"], row["class_name"], row["code"], row["name"])


def open_board(store, code_text, key, now=None):
    """The class row, when `key` is its teacher key; ClassError otherwise.

    After FREE_KEY_TRIES wrong keys in a row every try waits longer (1, 2, 4 ... 60 s), for
    every server on the database; a right key sets the count back to zero.
    """
    now = now or time.time()
    cls = find_class(store, code_text)
    wait = cls["key_wait_until"] - now
    if wait > 0:
        raise ClassError(f"Too many wrong keys for this class: try again in {wait:.0f} s.")
    if not codes.key_matches(str(key).strip(), cls["key_hash"]):
        failures, until = store.key_failed(cls["id"], key_wait, now)
        later = f" Wait {until - now:.0f} s before the next try." if until > now else ""
        raise ClassError(f"That is not the teacher key of this class.{later}")
    if cls["key_failures"]:
        store.key_accepted(cls["id"])
    return cls


def normal_reply(reply):
    """An answer as the board groups it: '(2, 3)' and '2,3' alike, '12.0' and '12' alike."""
    text = str(reply).strip().strip("()").replace(" ", "").lower()[:60]
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def record_answer(store, who, kind, seed, reply, right, now=None):
    return store.add_answer(who.class_id, who.student_id, str(kind)[:60], int(seed), normal_reply(reply),
                            bool(right), now or time.time())


def record_run(store, who, accuracy, settings, seconds, now=None):
    return store.add_run(who.class_id, who.student_id, accuracy, settings, seconds, now or time.time())
