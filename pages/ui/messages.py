"""Messages for the learner: the engine's errors as sentences on the page.

The engine raises ValueError with a sentence in lower case ("a 5x5 kernel does not fit in a
3x3 input with padding 0"); a page shows it capitalised, with a full stop and, where it helps,
what to try next:

    except ValueError as err:
        messages.error(err, "Make the kernel smaller or add padding.")
"""

import streamlit as st


def sentence(err, then=""):
    """The error's text as a sentence ("A 5x5 kernel does not fit ... ."), then `then`."""
    text = str(err).strip() or "something went wrong with these settings"
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    return f"{text} {then}".strip()


def error(err, then="", where=st):
    """Show err as a red message (where: st, a column or a container)."""
    where.error(sentence(err, then))


def warning(err, then="", where=st):
    """Show err as a yellow message, for input the page can still work around."""
    where.warning(sentence(err, then))
