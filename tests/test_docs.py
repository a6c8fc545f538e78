"""The public API's docstrings are numpydoc: a summary, the parameters exactly, what comes back.

numpydoc's own validator reads every name `logitlab` exports and the public methods of its
classes, so a parameter added to a signature without its line in the docstring fails here.
docs/api.rst, the page `make docs` builds from these docstrings, names every export.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest
from numpydoc.docscrape import NumpyDocString
from numpydoc.validate import get_doc_object, validate
from sphinx.cmd.build import build_main

import logitlab
from logitlab import errors

DOCS = Path(__file__).resolve().parents[1] / "docs"
API_PAGE = DOCS / "api.rst"

#: numpydoc's checks every public docstring passes: it is there (GL08) and opens with a summary
#: (SS01); its Parameters are the signature's, none missing (PR01), none unknown (PR02), in
#: order (PR03); it has a Returns section where the function returns a value (RT01).
CHECKS = ("GL08", "SS01", "PR01", "PR02", "PR03", "RT01")

EXPORTS = [name for name in logitlab.__all__ if name != "__version__"]

#: The package's exception types, which a docstring names under Raises where its body raises one.
ERRORS = {
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, errors.LogitlabError)
}


def exported_objects() -> list[tuple[str, object]]:
    """(dotted name, object) of every exported class and function and each class's methods."""
    found = []
    for name in EXPORTS:
        obj = getattr(logitlab, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # data such as bce: documented on the page, checked by its listing
        dotted = f"{obj.__module__}.{obj.__qualname__}"
        found.append((dotted, obj))
        if not inspect.isclass(obj):
            continue
        for member, value in vars(obj).items():
            if member.startswith("_"):
                continue
            if isinstance(value, property):
                found.append((f"{dotted}.{member}", value))
            elif isinstance(value, (classmethod, staticmethod)) or inspect.isfunction(value):
                found.append((f"{dotted}.{member}", getattr(obj, member)))
    return found


OBJECTS = exported_objects()
CALLABLES = [(name, obj) for name, obj in OBJECTS if not isinstance(obj, property)]


def numpydoc_errors(obj) -> list[str]:
    """numpydoc's findings among CHECKS for one function, method or class."""
    found = validate(get_doc_object(obj))["errors"]
    return [f"{code} {message}" for code, message in found if code in CHECKS]


def raised_errors(function) -> set[str]:
    """The package's exception types raised by name in the function's own body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(function))))
    raised = set()
    for node in ast.walk(tree.body[0]):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        name = getattr(target, "id", None) or getattr(target, "attr", None)
        if name in ERRORS:
            raised.add(name)
    return raised


def documented_raises(function) -> set[str]:
    """The exception types a docstring's Raises section names."""
    parsed = NumpyDocString(inspect.getdoc(function) or "")
    return {type_.strip() for item in parsed["Raises"] for type_ in item.type.split(",")}


def test_the_public_api_is_found_whole():
    names = {name for name, _ in OBJECTS}
    assert len(names) == len(OBJECTS) > len(EXPORTS) // 2
    assert "logitlab.estimator.LogisticRegressionGD.predict_proba" in names
    assert "logitlab.stats.mle.MLEResult.summary" in names
    assert any(isinstance(obj, property) for _, obj in OBJECTS)


@pytest.mark.parametrize(("name", "obj"), CALLABLES, ids=[name for name, _ in CALLABLES])
def test_docstring_is_numpydoc(name, obj):
    found = numpydoc_errors(obj)
    assert not found, f"{name}: " + "; ".join(found)


@pytest.mark.parametrize(("name", "obj"), CALLABLES, ids=[name for name, _ in CALLABLES])
def test_raises_names_what_the_body_raises(name, obj):
    if inspect.isclass(obj):
        return
    missing = raised_errors(obj) - documented_raises(obj)
    assert not missing, f"{name} raises {sorted(missing)} without a Raises section naming it"


def test_properties_have_a_summary():
    for name, prop in OBJECTS:
        if isinstance(prop, property):
            doc = inspect.getdoc(prop) or ""
            assert doc.strip(), f"{name} has no docstring"


def test_the_checks_catch_an_undocumented_parameter():
    def scaled(x: float, factor: float) -> float:
        """Multiply.

        Parameters
        ----------
        x : float
            The value.

        Returns
        -------
        float
            The product.
        """
        return x * factor

    assert [found[:4] for found in numpydoc_errors(scaled)] == ["PR01"]
    assert scaled(2.0, 3.0) == 6.0


def test_raises_check_reads_the_body():
    def refuse(x):
        """Refuse.

        Raises
        ------
        DataError
            Always.
        """
        if x:
            raise errors.ConfigError("no")
        raise errors.DataError("no")

    assert raised_errors(refuse) == {"ConfigError", "DataError"}
    assert documented_raises(refuse) == {"DataError"}
    with pytest.raises(errors.ConfigError):
        refuse(1)


def test_reference_builds_without_a_warning(tmp_path):
    # Sphinx reads and parses every page and docstring as `make docs` does (warnings as
    # errors), but its dummy builder writes no HTML: the check without the writing's seconds.
    warnings = tmp_path / "warnings.txt"
    args = ["-W", "--keep-going", "-q", "-E", "-b", "dummy", "-w", str(warnings)]
    code = build_main([*args, "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "out")])
    assert warnings.read_text(encoding="utf-8") == ""
    assert code == 0


def test_api_page_lists_every_export():
    page = API_PAGE.read_text(encoding="utf-8")
    listed = re.findall(r"^\.\. auto(?:function|class|exception|data):: (\S+)", page, re.M)
    assert sorted(name.rsplit(".", 1)[-1] for name in listed) == sorted(EXPORTS)
