"""The package's own exceptions: user mistakes are reported, never dumped as tracebacks.

Messages speak of values ("lr must be ..."), never of command-line flags, so the library and
the command line refuse the same input with the same words.
"""

import copyreg


class LogitlabError(Exception):
    """A mistake in what the user asked for; the CLI prints it as one line."""

    exit_code = 2

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle the message and the attributes rather than a call of __init__, whose
        arguments differ by class: an error then crosses a process pool (joblib, loky,
        GridSearchCV(n_jobs=2)) whole, instead of breaking it."""
        return copyreg.__newobj__, (type(self), *self.args), self.__dict__


class ConfigError(LogitlabError, ValueError):
    """A setting outside what is allowed."""


class DataError(LogitlabError, ValueError):
    """Input data that the model cannot use (shape, values, missing numbers)."""


class DivergenceError(LogitlabError, ArithmeticError):
    """Training blew up: a step took the parameters where a logit can pass +-88 (or to
    NaN/inf), beyond which float32 can no longer compute the model (result.diverged).

    Parameters
    ----------
    loss : str
        The loss being minimized ('bce' or 'mse').
    epoch : int
        The epoch at which the descent left float32's range.
    value : float
        The largest logit in size at that epoch (may be inf or NaN).
    """

    exit_code = 1

    def __init__(self, loss: str, epoch: int, value: float) -> None:
        self.loss, self.epoch, self.value = loss, epoch, value
        super().__init__(
            f"training with the {loss} loss diverged at epoch {epoch} (logits up to "
            f"{value:.3g} in size, where float32 holds 88 at most); try a smaller learning rate"
        )


class WorkerLost(LogitlabError):
    """Another worker of a fit on several stopped answering (it died, or its machine did):
    the run cannot finish. Exit code 1: nothing the user typed was wrong."""

    exit_code = 1


class SeparationError(DataError):
    """The classes are (quasi-)separable, so the maximum-likelihood estimate does not exist."""


class OutputError(LogitlabError):
    """An output folder that could not be written or moved into place.

    Where the run's finished files are kept instead, if anywhere, is in the message and in
    `kept` (None when nothing was kept). Exit code 2 like every other output-folder problem:
    the fix is to choose where the output goes (or make room there), not to change the fit.
    """

    def __init__(self, message: str, kept: object = None) -> None:
        super().__init__(message)
        self.kept = kept


class SeparationWarning(UserWarning):
    """Gradient descent on separable data: the coefficients only grow with the epochs, and the
    maximum-likelihood estimate does not exist (the MLE raises SeparationError instead)."""


def message_line(exc: BaseException) -> str:
    """Another library's exception (pyarrow's, pandas', gloo's) as one line for a message of
    ours: whitespace and line breaks folded, cut short when long."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
