"""A learner's own words (class names, file names) inside the markdown that pages show."""

import re

_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~$:=\"'&])")


def as_text(text):
    """Text that st.markdown shows exactly as typed: every punctuation mark escaped and '<' as an
    entity, so that '**x**', ':red[x]' and '<script>' stay as they are."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("<", "&lt;").replace("\n", " ")
