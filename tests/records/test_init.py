"""The package's public list: every serializer the other rooms use, from one import."""

import importlib
import inspect
import pkgutil

from logitlab import records


def test_all_lists_every_public_function_of_its_modules():
    modules = [
        importlib.import_module(f"{records.__name__}.{m.name}")
        for m in pkgutil.iter_modules(records.__path__)
    ]
    assert {m.__name__.rpartition(".")[2] for m in modules} >= {"common", "fit", "sweep"}
    public = {
        name
        for module in modules
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__
        and not name.startswith("_")
    }  # fmt: skip
    assert set(records.__all__) == public
    assert all(callable(getattr(records, name)) for name in records.__all__)
