"""Join codes, teacher keys and student tokens: random, and only hashes of the secrets are kept.

A join code is 8 characters from Crockford's base 32 (digits and capitals without I, L, O, U),
about 10^12 codes: guessing one of a few open classes in a class's lifetime would take far more
tries than a server answers. It is shown as two groups of four (7K2Q-M9XD) and read back
forgivingly (lower case, spaces and dashes, O for 0, I and L for 1).

A teacher key is 144 random bits, shown once; the store keeps a salted PBKDF2 hash of it.
A student token (the `student` query parameter) is as random; the store keeps its SHA-256.
"""

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
KEY_ITERATIONS = 100_000


def new_join_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def read_code(text):
    """The join code a person typed, in its stored form, or None when it cannot be one."""
    code = "".join(str(text).split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def show_code(code):
    """7K2QM9XD -> 7K2Q-M9XD: easier to read out and to copy from a board."""
    return f"{code[:4]}-{code[4:]}"


def new_secret():
    """A teacher key or a student token: 24 URL-safe characters, 144 random bits."""
    return secrets.token_urlsafe(18)


def hash_key(key, salt=None, iterations=KEY_ITERATIONS):
    """'pbkdf2_sha256$iterations$salt$hash' for a teacher key."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", key.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def key_matches(key, stored):
    """Whether a typed key is the one whose hash is stored (in constant time)."""
    try:
        method, iterations, salt, _ = stored.split("$")
        iterations = int(iterations)
    except ValueError:
        return False
    if method != "pbkdf2_sha256" or len(key) > 200:
        return False
    return hmac.compare_digest(hash_key(key, salt, iterations), stored)


def token_digest(token):
    """What the store keeps of a student token (a token is random enough for a plain hash)."""
    return hashlib.sha256(str(token).encode()).hexdigest()
