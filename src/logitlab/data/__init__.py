"""Data in: the lecture's simulated draw (and its CSV), and the checks every fit's input passes."""

from .checks import as_design, as_labels, check_names, design_array, label_array
from .simulated import Dataset, load_csv, save_csv, simulate, simulate_from

__all__ = [
    "Dataset",
    "as_design",
    "as_labels",
    "check_names",
    "design_array",
    "label_array",
    "load_csv",
    "save_csv",
    "simulate",
    "simulate_from",
]
