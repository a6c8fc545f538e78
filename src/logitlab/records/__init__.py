"""The one serializer: results (fits, the MLE, batch runs, studies, settings) -> plain records.

Every file writer (JSON, CSV, the report's tables) and the web page read these records, never
the result objects' fields, so a number is named and rounded in one place. Records hold
Python floats, ints, strings, lists and dicts; json_safe() makes them strict JSON (NaN and
infinities -> null). Coefficients are keyed by name ("Intercept" first); one-feature results
also carry the lecture's w0/w1.

One module per study registers its records on `to_record` (common); importing the package
imports them all, so `to_record` knows every result.
"""

from . import animation, lecture, playground, why  # noqa: F401  (they register records on to_record)
from .common import json_safe, lecture_params, provenance, to_record, training_settings
from .compare import comparison_rows
from .digits import digits_weight_rows
from .fit import (
    fit_coefficient_rows,
    fit_drop1_rows,
    fit_effect_rows,
    fit_margin_rows,
    fit_prediction_columns,
)
from .montecarlo import montecarlo_rows
from .multiclass import (
    curves_record,
    evaluation_record,
    multiclass_coefficient_rows,
    multiclass_record,
)
from .optimizers import optimizer_rows
from .results import lecture_rows
from .sweep import sweep_rows

__all__ = [
    "comparison_rows",
    "curves_record",
    "digits_weight_rows",
    "evaluation_record",
    "fit_coefficient_rows",
    "fit_drop1_rows",
    "fit_effect_rows",
    "fit_margin_rows",
    "fit_prediction_columns",
    "json_safe",
    "lecture_params",
    "lecture_rows",
    "montecarlo_rows",
    "multiclass_coefficient_rows",
    "multiclass_record",
    "optimizer_rows",
    "provenance",
    "sweep_rows",
    "to_record",
    "training_settings",
]
