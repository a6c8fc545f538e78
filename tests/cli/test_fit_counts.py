"""`logitlab fit --weights COL` and `--trials COL` end to end: a table of counts and grouped
binomial rows give the expanded rows' fit (the Challenger joints, R's glm on the budworm
data), the summary and report carry R's deviance table, and bad counts are refused in one
line with exit 2."""

import json
import re

import numpy as np
import pytest

import logitlab.cli as cli
from logitlab.stats import mle


@pytest.fixture(scope="module")
def tables(tmp_path_factory, budworm, challenger):
    folder = tmp_path_factory.mktemp("counts")
    counts = challenger[1]
    counts.to_csv(folder / "challenger.csv", index=False)
    budworm.to_csv(folder / "budworm.csv", index=False)
    counts.assign(joints=counts["joints"].astype(float).where(counts.index != 3, 2.5)).to_csv(
        folder / "half-weight.csv", index=False
    )
    counts.assign(joints=counts["joints"].where(counts.index != 4, -1)).to_csv(
        folder / "negative-weight.csv", index=False
    )
    budworm.assign(dead=budworm["dead"].where(budworm.index != 2, 21)).to_csv(
        folder / "above-trials.csv", index=False
    )
    budworm.assign(dead=budworm["dead"].astype(float).where(budworm.index != 1, 3.5)).to_csv(
        folder / "half-count.csv", index=False
    )
    budworm.assign(n=budworm["n"].where(budworm.index != 5, 0)).to_csv(
        folder / "no-trials.csv", index=False
    )
    return folder


def results(out):
    return json.loads((out / "results.json").read_text())["mle"]


def test_a_table_of_counts_with_weights_fits_as_its_expanded_rows(
    tables, challenger, tmp_path, capsys
):
    out = tmp_path / "weighted"
    argv = ["fit", str(tables / "challenger.csv"), "--target", "distressed", "--weights",
            "joints", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    fitted = results(out)
    assert fitted["nobs"] == 138 and re.search(r"No\. Observations: +138 ", printed)
    assert round(fitted["coefficients"]["temp"]["se"], 4) == 0.0470
    assert "gradient descent is not run" in printed
    counts = challenger[1]
    rows = np.repeat(counts.index.to_numpy(), counts["joints"])
    expanded = mle.fit(counts["temp"].to_numpy(float)[rows],
                       counts["distressed"].to_numpy(float)[rows], names=("temp",))  # fmt: skip
    np.testing.assert_allclose([r["estimate"] for r in fitted["coefficients"].values()],
                               expanded.params, rtol=1e-8)  # fmt: skip
    ours = [fitted["loglik"], fitted["aic"], fitted["bic"]]
    np.testing.assert_allclose(ours, [expanded.loglik, expanded.aic, expanded.bic], rtol=1e-8)
    assert np.sum(fitted["pred_table"]["counts"]) == 138
    unweighted = tmp_path / "unweighted"
    argv = ["fit", str(tables / "challenger.csv"), "--formula", "distressed ~ temp",
            "--quiet", "--out", str(unweighted)]  # fmt: skip
    assert cli.main(argv) == 0
    assert round(results(unweighted)["coefficients"]["temp"]["se"], 4) == 0.0616


def test_grouped_rows_print_r_s_deviance_table(tables, tmp_path, capsys):
    out = tmp_path / "grouped"
    argv = ["fit", str(tables / "budworm.csv"), "--formula", "dead ~ C(sex) * ldose",
            "--trials", "n", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "Residual deviance:   4.994  on  8 degrees of freedom" in printed
    assert "    Null deviance: 124.876  on 11 degrees of freedom" in printed
    assert "AIC: 43.104" in printed
    fitted = results(out)
    assert fitted["grouped"] and fitted["nobs"] == 12 and fitted["df_resid"] == 8
    assert fitted["df_null"] == 11
    assert round(fitted["deviance"], 3) == 4.994 and round(fitted["null_deviance"], 3) == 124.876
    assert round(fitted["aic"], 3) == 43.104
    page = (out / "report.html").read_text()
    assert "residual deviance (8 df)" in page and "4.994" in page
    assert "Not measured row by row" in page


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["half-weight.csv", "--target", "distressed", "--weights", "joints"],
         "weights column 'joints' must hold whole numbers >= 0: row 4 (line 5 of its file) "
         "holds 2.5"),
        (["negative-weight.csv", "--target", "distressed", "--weights", "joints"],
         "row 5 (line 6 of its file) holds -1"),
        (["above-trials.csv", "--formula", "dead ~ ldose", "--trials", "n"],
         "row 3 (line 4 of its file) holds 21 successes out of 20 trials"),
        (["half-count.csv", "--formula", "dead ~ ldose", "--trials", "n"],
         "target 'dead' must hold whole numbers >= 0: row 2 (line 3 of its file) holds 3.5"),
        (["no-trials.csv", "--formula", "dead ~ ldose", "--trials", "n"],
         "trials column 'n' must hold whole numbers >= 1: row 6 (line 7 of its file) holds 0"),
        (["budworm.csv", "--formula", "dead ~ ldose", "--trials", "nope"], "nope"),
        (["challenger.csv", "--target", "distressed", "--weights", "joints", "--test-size",
          "0.2"], "a held-out split (test size 0.2) cannot take yet"),
        (["budworm.csv", "--formula", "dead ~ ldose", "--trials", "n", "--weights", "n"],
         "cannot be combined"),
    ],
)  # fmt: skip
def test_bad_counts_are_refused_in_one_line(refused, tables, tmp_path, argv, words):
    argv = ["fit", str(tables / argv[0]), *argv[1:], "--quiet", "--out", str(tmp_path / "out")]
    assert words in refused(argv)


def test_help_explains_weights_and_trials(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--weights COL frequency weights" in text
    assert "--trials COL grouped binomial rows" in text
