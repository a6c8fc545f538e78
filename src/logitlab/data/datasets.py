"""Data sets that ship inside installed packages: a real table with one name, no download.

Each comes with a default formula that fits (the maximum-likelihood estimate exists: no
constant columns, no separated classes) and a stated success value:

- lecture: the lecture's simulated draw (logitlab.simulate(), seed 2022), y ~ x.
- spector: Spector and Mazzeo (1980) from statsmodels: did a student's grade improve
  (GRADE 1) after the PSI teaching method? GRADE and PSI are 0/1 integers here (statsmodels
  stores them as floats), so the PSI term is named "C(PSI)[T.1]".
- breast-cancer: the Wisconsin diagnostic data from scikit-learn. Success is "malignant":
  the column `diagnosis` holds the words, since scikit-learn's target codes malignant as 0.
  The default formula uses the ten "mean ..." features (all thirty separate the classes).
- digits-3v7: scikit-learn's 8 x 8 digits, threes and sevens only; success is 7. The 64
  pixel columns (0-16) are all there, but 9 are blank in every 3 and 7 and together the
  pixels separate the classes, so the default formula takes four pixels of the diagonal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import shown
from ..errors import ConfigError

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True)
class DatasetInfo:
    """What a shipped data set is: a line of description, where it comes from, its shape,
    the target column with its success value, and a formula that fits."""

    name: str
    description: str
    source: str
    rows: int
    columns: int
    target: str
    positive: object
    formula: str

    def line(self) -> str:
        """One line for a listing: name, shape, target and description."""
        shape = f"{self.rows} x {self.columns}"
        return (
            f"{self.name:<14} {shape:>9}  target {self.target} (success {self.positive!r})"
            f"  {self.description} [{self.source}]"
        )


@dataclass(frozen=True)
class Table:
    """A loaded data set: the frame and what DATASETS says of it."""

    frame: pandas.DataFrame
    info: DatasetInfo

    @property
    def target(self) -> str:
        return self.info.target

    @property
    def formula(self) -> str:
        return self.info.formula


#: The ten "mean ..." measurements of breast-cancer, its default features.
_CELL_MEANS = (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave points", "symmetry", "fractal dimension",
)  # fmt: skip

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "lecture",
            "the lecture's simulated draw: y ~ Bernoulli(sigmoid(-1 + 5x)), x in [-1, 1]",
            "logitlab.simulate()",
            2000,
            2,
            "y",
            1,
            "y ~ x",
        ),
        DatasetInfo(
            "spector",
            "did grades improve after the PSI teaching method? (Spector and Mazzeo 1980)",
            "statsmodels.datasets.spector",
            32,
            4,
            "GRADE",
            1,
            "GRADE ~ GPA + TUCE + C(PSI)",
        ),
        DatasetInfo(
            "breast-cancer",
            "malignant or benign tumour from 30 cell-nucleus measurements (Wisconsin)",
            "sklearn.datasets.load_breast_cancer",
            569,
            31,
            "diagnosis",
            "malignant",
            "diagnosis ~ " + " + ".join(f"`mean {name}`" for name in _CELL_MEANS),
        ),
        DatasetInfo(
            "digits-3v7",
            "handwritten 3 or 7 from 8 x 8 pixel intensities 0-16",
            "sklearn.datasets.load_digits",
            362,
            65,
            "digit",
            7,
            "digit ~ pixel_2_2 + pixel_3_3 + pixel_4_4 + pixel_5_5",
        ),
    )
}


def dataset_lines() -> list[str]:
    """One line per shipped data set, for `logitlab datasets`."""
    return [info.line() for info in DATASETS.values()]


def load_dataset(name: str) -> Table:
    """The shipped data set `name` (see DATASETS) as a Table.

    Parameters
    ----------
    name : str
        One of DATASETS' names: 'lecture', 'spector', ...

    Returns
    -------
    Table
        The frame, with its target, formula and description (Table.info).

    Raises
    ------
    ConfigError
        For a name DATASETS does not hold.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ConfigError(f"data set must be one of {', '.join(DATASETS)}, got {shown(name)}")
    return Table(_LOADERS[name](), DATASETS[name])


def _lecture() -> pandas.DataFrame:
    import pandas

    from .simulated import simulate

    data = simulate()
    return pandas.DataFrame(
        {"x": data.x[:, 0].double().numpy(), "y": data.y[:, 0].numpy().astype("int64")}
    )


def _spector() -> pandas.DataFrame:
    from statsmodels.datasets import spector

    frame = spector.load_pandas().data.copy()
    return frame.astype({"GRADE": "int64", "PSI": "int64"})


def _breast_cancer() -> pandas.DataFrame:
    import pandas
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    names = bunch.target_names  # index 0 is "malignant" in scikit-learn's coding
    frame["diagnosis"] = pandas.Series(names[bunch.target.to_numpy()], dtype="str")
    return frame


def _digits_3v7() -> pandas.DataFrame:
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame
    frame = frame[frame["target"].isin([3, 7])].rename(columns={"target": "digit"})
    return frame.reset_index(drop=True).astype("int64")


_LOADERS: dict[str, Callable[[], pandas.DataFrame]] = {
    "lecture": _lecture,
    "spector": _spector,
    "breast-cancer": _breast_cancer,
    "digits-3v7": _digits_3v7,
}
