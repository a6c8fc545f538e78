"""The package's own exceptions: user mistakes are reported, never dumped as tracebacks.

Messages speak of values ("lr must be ..."), never of command-line flags, so the library and
the command line refuse the same input with the same words.
"""


class LogitlabError(Exception):
    """A mistake in what the user asked for; the CLI prints it as one line."""

    exit_code = 2


class ConfigError(LogitlabError, ValueError):
    """A setting outside what is allowed."""


class DataError(LogitlabError, ValueError):
    """Input data that the model cannot use (shape, values, missing numbers)."""


class DivergenceError(LogitlabError, ArithmeticError):
    """Training blew up: the loss became non-finite or grew far past its start."""

    exit_code = 1

    def __init__(self, loss: str, epoch: int, value: float) -> None:
        self.loss, self.epoch, self.value = loss, epoch, value
        super().__init__(
            f"training with the {loss} loss diverged at epoch {epoch} (loss = {value:.4g}); "
            "try a smaller learning rate"
        )


class SeparationError(DataError):
    """The classes are (quasi-)separable, so the maximum-likelihood estimate does not exist."""
