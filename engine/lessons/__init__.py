"""Helpers for the lessons: worked examples, step-throughs, generated questions, the layer
calculator, receptive fields, the activation lab, the backpropagation graphs and the grid search.

They build on the library (engine.conv, engine.pool, engine.nn) and, like it, know nothing of
the web app.
"""
