"""Tests of the bot's own Rasa components (bot environment)."""

import warnings

# Rasa's imports (TensorFlow, jax) warn about their own deprecations; warnings are
# errors in this suite, and those are not ours to fix. Imported once, quietly, here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import rasa.engine.graph
    import rasa.nlu.classifiers.diet_classifier  # noqa: F401
