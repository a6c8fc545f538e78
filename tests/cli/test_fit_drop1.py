"""`logitlab fit` and its per-term likelihood-ratio tests (R's drop1(m, test="Chisq")):
printed, in results.json, drop1.csv and the report; skipped in one line when long."""

import csv
import json

import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import logitlab.cli as cli
from logitlab.studies import fit as fit_study


@pytest.fixture(scope="module")
def table(tmp_path_factory, budworm):
    path = tmp_path_factory.mktemp("drop1") / "budworm.csv"
    budworm.to_csv(path, index=False)
    return path


def run_fit(table, out, formula):
    argv = ["fit", str(table), "--formula", formula, "--trials", "n", "--out", str(out)]
    assert cli.main(argv) == 0


def test_drop1_in_every_output(table, budworm, tmp_path, capsys):
    out = tmp_path / "out"
    run_fit(table, out, "dead ~ C(sex) * ldose")
    printed = capsys.readouterr().out
    # R: drop1(budworm.lg, test = "Chisq") keeps sex and ldose, inside sex:ldose
    assert "C(sex):ldose  1   6.7571 42.867 1.7633   0.1842" in printed
    rows = list(csv.DictReader((out / "drop1.csv").open()))
    assert [r["term"] for r in rows] == ["<none>", "C(sex):ldose"]
    frame = budworm.assign(alive=budworm["n"] - budworm["dead"])
    peer = smf.glm("dead + alive ~ C(sex) + ldose", frame, family=sm.families.Binomial()).fit()
    assert float(rows[1]["deviance"]) == pytest.approx(peer.deviance, rel=1e-9)
    assert float(rows[1]["aic"]) == pytest.approx(peer.aic, rel=1e-10)
    drop1 = json.loads((out / "results.json").read_text())["drop1"]
    assert drop1["note"] is None and drop1["rows"][1]["df"] == 1
    page = (out / "report.html").read_text()
    assert "Per-term likelihood-ratio tests" in page and "0.1842" in page


def test_a_long_drop1_is_skipped_in_one_line(table, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(fit_study, "DROP1_SECONDS", 0.0)
    out = tmp_path / "out"
    run_fit(table, out, "dead ~ C(sex) + ldose")
    lines = [line for line in capsys.readouterr().out.splitlines() if "(drop1)" in line]
    assert len(lines) == 1 and "skipped: 2 refits of 12 rows" in lines[0]
    assert "logitlab compare DATA --formula FULL --formula WITHOUT-IT" in lines[0]
    assert not (out / "drop1.csv").exists()
    drop1 = json.loads((out / "results.json").read_text())["drop1"]
    assert drop1["rows"] is None and drop1["note"] == lines[0]
