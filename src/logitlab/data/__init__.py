"""Data in: the lecture's simulated draw (and its CSV), the playground's 2-D data sets, and the
checks every fit's input passes."""

from .checks import as_design, as_labels, check_names, design_array, label_array
from .simulated import Dataset, load_csv, save_csv, simulate, simulate_from, simulate_plane

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
    "simulate_plane",
]

# Tables, shipped data sets, formulas -> design matrices, saved models (pandas loads lazily).
from .datasets import DATASETS, DatasetInfo, Table, dataset_lines, load_dataset
from .design import Design, ModelSpec, build_design
from .modelfile import load_model, model_record
from .tables import read_table

__all__ += [
    "DATASETS",
    "DatasetInfo",
    "Design",
    "ModelSpec",
    "Table",
    "build_design",
    "dataset_lines",
    "load_dataset",
    "load_model",
    "model_record",
    "read_table",
]
