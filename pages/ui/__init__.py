"""Shared view code for the pages: drawing, layout helpers and the lesson list."""
