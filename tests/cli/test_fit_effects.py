"""`logitlab fit`'s effect plots end to end: effects.csv, results.json's "effects", the
report's section and effects.png; each point equals `logitlab predict --interval` of the row
built from the held values (model.json applied to it); in shares they are left out, as the
sharded report says of the per-row parts."""

import html
import json

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli
from logitlab.studies.fit import NOT_PRODUCED

FORMULA = "y ~ np.log(x) + C(g) * z + I(z ** 2)"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("effects")
    rng = np.random.default_rng(8)
    n = 300
    frame = pd.DataFrame({"x": rng.uniform(0.5, 6, n), "g": rng.choice(["lo", "hi", "mid"], n),
                          "z": rng.normal(size=n)})  # fmt: skip
    eta = -0.4 + 0.8 * np.log(frame.x) + 0.5 * frame.z * (frame.g == "hi") + 0.2 * frame.z**2
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    frame.to_csv(folder / "t.csv", index=False, float_format="%.17g")
    argv = ["fit", str(folder / "t.csv"), "--formula", FORMULA, "--conf-level", "0.9",
            "--quiet", "--out", str(folder / "fit")]  # fmt: skip
    assert cli.main(argv) == 0
    return folder, frame


def test_each_point_is_predict_interval_of_the_row_built_from_the_held_values(
    fitted, tmp_path, capsys, assert_ulps
):
    folder, frame = fitted
    out = folder / "fit"
    effects = json.loads((out / "results.json").read_text())["effects"]
    assert effects["conf_level"] == 0.9
    curves = {c["variable"]: c for c in effects["curves"]}
    assert list(curves) == ["x", "g", "z"]
    assert curves["g"]["value"] == ["hi", "lo", "mid"] and curves["g"]["kind"] == "categorical"
    assert curves["x"]["held"] == {"g": "hi", "z": pytest.approx(frame.z.mean(), rel=1e-12)}
    assert curves["x"]["value"][0] == pytest.approx(np.quantile(frame.x, 0.01), rel=1e-12)
    table = pd.read_csv(out / "effects.csv")
    assert len(table) == 100 + 3 + 100
    for name, curve in curves.items():
        rows = pd.DataFrame([{**curve["held"], name: v} for v in curve["value"]])
        rows.to_csv(tmp_path / f"{name}.csv", index=False, float_format="%.17g")
        argv = ["predict", str(out / "model.json"), str(tmp_path / f"{name}.csv"), "--interval",
                "--out", str(tmp_path / f"{name}-p.csv")]  # fmt: skip
        assert cli.main(argv) == 0
        assert "with 0.9 confidence intervals" in capsys.readouterr().out
        direct = pd.read_csv(tmp_path / f"{name}-p.csv")
        mine = table[table["variable"] == name]
        for column, got in (("p_hat", "p"), ("p_low", "p_low"), ("p_high", "p_high")):
            assert_ulps(mine[got].to_numpy(), direct[column].to_numpy(), precision=np.float64)
            assert_ulps(np.array(curve[got]), direct[column].to_numpy(), precision=np.float64)
    assert np.all((table["p_low"] < table["p"]) & (table["p"] < table["p_high"]))


def test_the_report_shows_the_plot_and_says_what_is_held_fixed(fitted):
    folder, frame = fitted
    out = folder / "fit"
    page = html.unescape((out / "report.html").read_text())
    assert (out / "effects.png").stat().st_size > 10_000
    assert '<h2 id="effect-plots">Effect plots</h2>' in page
    assert (f"every other variable held fixed (x at its mean {frame.x.mean():.4f}, g at its "
            f"reference level 'hi', z at its mean {frame.z.mean():.4f})") in page  # fmt: skip
    assert "The band is the 90% confidence interval of that prediction" in page


def test_in_shares_the_effect_plots_are_left_out_and_the_report_says_so(fitted, tmp_path):
    folder, _ = fitted
    argv = ["fit", str(folder / "t.csv"), "--formula", FORMULA, "--chunk-rows", "70",
            "--quiet", "--out", str(tmp_path / "o")]  # fmt: skip
    assert cli.main(argv) == 0
    assert json.loads((tmp_path / "o" / "results.json").read_text())["effects"] is None
    assert not (tmp_path / "o" / "effects.csv").exists()
    assert not (tmp_path / "o" / "effects.png").exists()
    assert "the effect plots" in NOT_PRODUCED
    assert "the effect plots) and a held-out" in (tmp_path / "o" / "report.html").read_text()
