import inspect
import pickle

import pytest

from logitlab import errors

# Classes whose __init__ takes more than a message: one instance each, with its attributes.
EXAMPLES = {
    errors.DivergenceError: lambda: errors.DivergenceError("mse", 4672, 88.5),
    errors.OutputError: lambda: errors.OutputError("could not move the run into place", "kept"),
}


def _every_exception_class() -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    ]


@pytest.mark.parametrize("cls", _every_exception_class(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("protocol", [0, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_every_error_pickles_with_its_message_and_attributes(cls, protocol):
    """A process pool (joblib under GridSearchCV(n_jobs=2)) sends a worker's error back
    pickled: one that cannot be rebuilt breaks the pool instead of reporting the error."""
    error = EXAMPLES.get(cls, lambda: cls("x must be a number, got 'a'"))()
    copy = pickle.loads(pickle.dumps(error, protocol=protocol))
    assert type(copy) is cls
    assert str(copy) == str(error) and copy.args == error.args
    assert vars(copy) == vars(error)
    assert getattr(copy, "exit_code", None) == getattr(error, "exit_code", None)


def test_the_examples_keep_their_attributes():
    divergence = pickle.loads(pickle.dumps(EXAMPLES[errors.DivergenceError]()))
    assert (divergence.loss, divergence.epoch, divergence.value) == ("mse", 4672, 88.5)
    assert "epoch 4672" in str(divergence) and divergence.exit_code == 1
    output = pickle.loads(pickle.dumps(EXAMPLES[errors.OutputError]()))
    assert output.kept == "kept" and str(output) == "could not move the run into place"


def test_message_line_folds_another_librarys_message_onto_one_line():
    assert errors.message_line(RuntimeError("Connection closed\n  by peer")) == (
        "Connection closed by peer"
    )
    assert errors.message_line(KeyError()) == "KeyError"
    long = errors.message_line(ValueError("word " * 100))
    assert len(long) == 160 and long.endswith("...")
