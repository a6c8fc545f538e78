"""Shipped data sets: the documented shape, target and balance, checked against the packages
they come from; each default formula builds a design on which statsmodels' MLE converges."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_breast_cancer, load_digits
from statsmodels.datasets import spector

import logitlab
from logitlab.data.datasets import DATASETS, dataset_lines, load_dataset
from logitlab.data.design import build_design
from logitlab.errors import ConfigError


@pytest.mark.parametrize("name", list(DATASETS))
def test_shape_and_target_as_documented(name):
    table = load_dataset(name)
    info = DATASETS[name]
    assert table.frame.shape == (info.rows, info.columns)
    assert table.target == info.target in table.frame.columns
    assert info.positive in set(table.frame[info.target])
    assert table.frame[info.target].nunique() == 2


@pytest.mark.parametrize("name", list(DATASETS))
def test_default_formula_fits(name):
    table = load_dataset(name)
    design = build_design(table.frame, formula=table.formula)
    assert design.positive == table.info.positive
    assert design.dropped == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a separated or singular fit warns
        result = sm.Logit(design.y, sm.add_constant(design.X)).fit(disp=0, maxiter=100)
    assert result.mle_retvals["converged"]


def test_lecture_is_the_simulated_draw():
    frame = load_dataset("lecture").frame
    data = logitlab.simulate()
    np.testing.assert_array_equal(frame["x"], data.x[:, 0].double().numpy())
    np.testing.assert_array_equal(frame["y"], data.y[:, 0].numpy())


def test_spector_is_statsmodels_table():
    frame = load_dataset("spector").frame
    source = spector.load_pandas().data
    assert frame.shape == (32, 4)
    np.testing.assert_array_equal(frame[source.columns].to_numpy(), source.to_numpy())
    assert frame["GRADE"].sum() == source["GRADE"].sum() == 11  # 11 of 32 improved


def test_breast_cancer_success_is_malignant():
    frame = load_dataset("breast-cancer").frame
    bunch = load_breast_cancer()
    assert len(frame) == 569
    malignant = bunch.target == list(bunch.target_names).index("malignant")
    assert (frame["diagnosis"] == "malignant").sum() == malignant.sum() == 212
    np.testing.assert_array_equal(frame["diagnosis"] == "malignant", malignant)
    np.testing.assert_array_equal(frame[list(bunch.feature_names)].to_numpy(), bunch.data)
    assert build_design(frame, formula=DATASETS["breast-cancer"].formula).y.sum() == 212


def test_digits_3v7_counts_and_pixels():
    frame = load_dataset("digits-3v7").frame
    bunch = load_digits()
    keep = np.isin(bunch.target, [3, 7])
    assert (frame["digit"] == 3).sum() == (bunch.target == 3).sum() == 183
    assert (frame["digit"] == 7).sum() == (bunch.target == 7).sum()
    pixels = [c for c in frame.columns if c.startswith("pixel_")]
    assert len(pixels) == 64
    np.testing.assert_array_equal(frame[pixels].to_numpy(), bunch.data[keep])
    np.testing.assert_array_equal(frame["digit"], bunch.target[keep])


def test_lines_one_per_data_set():
    lines = dataset_lines()
    assert len(lines) == len(DATASETS)
    for line, name in zip(lines, DATASETS, strict=True):
        assert line.startswith(name) and "\n" not in line


def test_unknown_name_lists_the_known():
    with pytest.raises(ConfigError, match="lecture, spector, breast-cancer, digits-3v7"):
        load_dataset("iris")
