"""Shared fixtures: the lecture's data, simulated once per session."""

import matplotlib
import pytest

matplotlib.use("Agg")

from logitlab.data import simulate


@pytest.fixture(scope="session")
def lecture_data():
    """The lecture's default data set (n=2000, w0=-1, w1=5, default seed)."""
    return simulate()
