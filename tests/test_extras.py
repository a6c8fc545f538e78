"""The optional extras, asked without importing them."""

import importlib.util
import sys

from logitlab import extras
from logitlab.engines import resolve


def test_fused_available_says_whether_numba_can_be_imported():
    assert extras.fused_available() is (importlib.util.find_spec("numba") is not None)
    assert resolve.fused_available is extras.fused_available  # one source for the fact


def test_asking_imports_nothing(monkeypatch):
    extras.fused_available.cache_clear()
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    extras.fused_available()
    assert "numba" not in sys.modules
