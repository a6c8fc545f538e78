"""`logitlab compare` end to end: R's anova table printed and written for the budworm data,
the information criteria for models that are not nested, refusals in one line with exit 2."""

import csv
import json

import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import logitlab.cli as cli
from logitlab.report.staging import MARKER

BUDWORM = ["--formula", "dead ~ ldose", "--formula", "dead ~ C(sex) + ldose",
           "--formula", "dead ~ C(sex) * ldose", "--trials", "n"]  # fmt: skip


@pytest.fixture(scope="module")
def table(tmp_path_factory, budworm):
    path = tmp_path_factory.mktemp("compare") / "budworm.csv"
    budworm.to_csv(path, index=False)
    return path


def test_budworm_anova_printed_and_written(table, budworm, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["compare", str(table), *BUDWORM, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Analysis of Deviance Table" in printed and "Model 3: dead ~ C(sex) * ldose" in printed
    assert "2         9     6.7571  1  10.2270 0.001384 **" in printed
    assert f"on the same 12 rows of file {table}; no row dropped for a missing value" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        MARKER, "comparison.csv", "report.html", "results.json"]  # fmt: skip
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    frame = budworm.assign(alive=budworm["n"] - budworm["dead"])
    peer = smf.glm("dead + alive ~ C(sex) * ldose", frame, family=sm.families.Binomial()).fit()
    assert float(rows[2]["resid_dev"]) == pytest.approx(peer.deviance, rel=1e-9)
    assert float(rows[2]["aic"]) == pytest.approx(peer.aic, rel=1e-10)
    assert rows[0]["p"] == "" and float(rows[2]["p"]) == pytest.approx(0.18420884, rel=1e-6)
    results = json.loads((out / "results.json").read_text())
    assert results["anova_refused"] is None and len(results["anova"]["rows"]) == 3
    assert results["data"]["rows_used"] == 12
    page = (out / "report.html").read_text()
    assert "Likelihood-ratio tests" in page and "6.7571" in page and "C(sex) * ldose" in page


def test_not_nested_prints_criteria_and_one_line_instead(table, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["compare", str(table), "--formula", "dead ~ C(sex)", "--formula", "dead ~ ldose",
            "--trials", "n", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "Analysis of Deviance" not in printed
    assert [line for line in printed.splitlines() if "not nested" in line] == [
        "no likelihood-ratio test: models 1 and 2 are not nested (neither one's columns lie in "
        "the span of the other's); their AIC and BIC below compare them"]  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert results["anova"] is None and len(results["criteria"]) == 2


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["--formula", "dead ~ ldose"], "give --formula twice or more (got 1)"),
        (["--formula", "dead ~ ldose", "--formula", "n ~ ldose"], "share one target"),
        (["--formula", "dead ~ ldose", "--formula", "dead ~ nope"], "no column 'nope'"),
    ],
)
def test_refusals_in_one_line(table, refused, tmp_path, words, says):
    err = refused(["compare", str(table), *words, "--trials", "n", "--out",
                   str(tmp_path / "out")])  # fmt: skip
    assert says in err


def test_help_explains_the_formulas(capsys):
    with pytest.raises(SystemExit):
        cli.main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "nested" in text and "--trials" in text and "AIC and BIC" in text
