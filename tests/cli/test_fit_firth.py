"""`logitlab fit --firth --weights COL` end to end: a table of counts gives the Firth fit of
its expanded rows (the library's, on the Challenger joints one row per joint), in the
summary, results.json and the report."""

import json

import numpy as np

import logitlab.cli as cli
from logitlab.stats import firth


def test_firth_with_weights_fits_the_expanded_rows(challenger, tmp_path, capsys):
    counts = challenger[1]
    counts.to_csv(tmp_path / "challenger.csv", index=False)
    out = tmp_path / "firth"
    argv = ["fit", str(tmp_path / "challenger.csv"), "--formula", "distressed ~ temp",
            "--weights", "joints", "--firth", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "Firth's penalized likelihood" in printed and "No. Observations:" in printed
    rows = np.repeat(counts.index.to_numpy(), counts["joints"])
    expanded = firth.fit(counts["temp"].to_numpy(float)[rows],
                         counts["distressed"].to_numpy(float)[rows], names=("temp",))  # fmt: skip
    mle = json.loads((out / "results.json").read_text())["mle"]
    assert mle["method"] == "firth" and mle["nobs"] == len(rows) == 138
    table = list(mle["coefficients"].values())
    for name, ours in (("estimate", expanded.params), ("se", expanded.se),
                       ("p", expanded.pvalues)):  # fmt: skip
        np.testing.assert_allclose([r[name] for r in table], ours, rtol=1e-8, atol=1e-12)
    bounds = [[r["lower"], r["upper"]] for r in table]
    np.testing.assert_allclose(bounds, expanded.conf_int(), rtol=1e-8, atol=1e-12)
    lr = list(mle["firth"]["lr_chi2"].values())
    np.testing.assert_allclose(lr, expanded.lr_chi2, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(mle["llr"], expanded.llr, rtol=1e-8)
    assert "(X'W(1 + h)X)<sup>-1</sup>" in (out / "report.html").read_text()
