"""Fixtures of the colour job tests: the engine tests' tiny generator file and its Colorizer."""

from tests.engine.conftest import colorizer, model_file  # noqa: F401  (fixtures)
