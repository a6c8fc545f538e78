"""`logitlab digits`: defaults that are DigitsConfig's, a folder end to end, bad input
refused in one line with nothing written."""

import argparse
import json
import subprocess
import sys

import pytest

from logitlab.cli import build_parser, digits
from logitlab.cli import main as cli_main
from logitlab.cli.common import OneLineParser
from logitlab.report.staging import MARKER
from logitlab.studies.digits import DigitsConfig


def parse(argv):
    return build_parser().parse_args(["digits", *argv])


def main(argv):
    return cli_main(["digits", *argv])


def test_defaults_are_the_configs():
    args = parse([])
    config = DigitsConfig(
        epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
        shuffle_seed=args.shuffle_seed, split_seed=args.split_seed,
        test_size=args.test_size, engine=args.engine, classes=args.classes,
    )  # fmt: skip
    assert config == DigitsConfig() and args.classes == "3,7"
    assert (args.out, args.format, args.force) == ("logitlab-digits", "png", False)


def test_digits_command_writes_its_folder(tmp_path, capsys):
    out = tmp_path / "digits"
    argv = ["--out", str(out), "--epochs", "5", "--batch-size", "64", "--quiet"]
    assert main([*argv, "--format", "pdf", "--split-seed", "3"]) == 0
    names = {p.name for p in out.iterdir()} - {MARKER}  # what --force goes by
    assert (out / MARKER).is_file()
    assert {"report.html", "results.json", "weights.csv", "weights.png", "weights.pdf"} <= names
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["batch_size"] == 64 and results["settings"]["split_seed"] == 3
    assert results["fit"]["epochs"] == 5
    printed = capsys.readouterr().out
    assert "held out" in printed and "maximum-likelihood estimate does not exist" in printed
    assert f"Wrote {len(names)} files to {out}/" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "epochs must be an integer from 1"),
        (["--lr", "-0.1"], "lr must be a finite number > 0"),
        (["--batch-size", "0"], "batch size must be an integer from 1"),
        (["--batch-size", "300"], "batch size must be an integer from 1 to n"),
        (["--test-size", "1.5"], "test size must be a share between 0 and 1"),
        (["--test-size", "0.001"], "each side needs at least 2"),
        (["--split-seed", "x"], "split seed must be an integer"),
        (["--shuffle-seed", "-1"], "shuffle seed must be an integer"),
        (["--engine", "gpu"], "engine must be one of"),
        (["--format", "gif"], "figure formats must be some of png, svg, pdf"),
        (["--bogus"], "unrecognized arguments"),
        (["--classes", "1,8"], "argument --classes: classes must be 3,7 (3 against 7) or all"),
        (["--classes", "3,7,9"], "argument --classes: classes must be 3,7"),
        (["--classes", "ten"], "argument --classes: classes must be 3,7"),
        (["--classes", "all", "--batch-size", "1400"], "batch size must be an integer from 1 to n"),
    ],
)
def test_bad_input_exits_2_in_one_line_writing_nothing(tmp_path, refused, argv, message):
    assert message in refused(["digits", "--out", str(tmp_path / "digits"), "--quiet", *argv])


def test_an_existing_folder_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "digits").mkdir()
    (tmp_path / "digits" / "keep.txt").write_text("mine")
    assert main(["--out", str(tmp_path / "digits"), "--quiet"]) == 2
    assert "exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "digits").iterdir()] == ["keep.txt"]


def test_help_names_every_default(capsys):
    parser = OneLineParser(prog="logitlab digits")
    digits.add_arguments(parser)
    text = parser.format_help()
    assert text.count("default") >= 10 and isinstance(parser, argparse.ArgumentParser)


def test_building_the_parser_loads_no_numpy_or_torch():
    """`logitlab --help` builds every command's parser: this one must stay light."""
    code = (
        "import sys; from logitlab.cli.common import OneLineParser; "
        "from logitlab.cli import digits; digits.add_arguments(OneLineParser()); "
        "print(sorted({'numpy', 'torch', 'sklearn'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ten_digits_command_writes_its_folder_and_prints_the_scores(tmp_path, capsys):
    out = tmp_path / "ten"
    argv = ["--classes", "all", "--epochs", "3", "--engine", "eager", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 0
    names = {p.name for p in out.iterdir()} - {MARKER}
    assert names == {"report.html", "results.json", "weights.csv", "weights.png",
                     "confusion.png", "hardest.png", "training.png"}  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["classes"] == "all" and results["fit"]["epochs"] == 3
    printed = capsys.readouterr().out
    test = results["scores"]["test"]
    reference = results["reference"]["scores"]["test"]
    assert f"held out {test['accuracy']:.4f} (450 images)" in printed
    assert f"held out {reference['accuracy']:.4f} (450 images)" in printed
    assert f"9 {test['precision']['9']:.2f}/{test['recall']['9']:.2f}" in printed
    worst = results["hardest"][0]
    assert f"row {worst['row']}, a {worst['digit']} called a {worst['predicted']}" in printed
    assert f"Wrote {len(names)} files to {out}/" in printed


def test_help_explains_classes(capsys):
    parser = OneLineParser(prog="logitlab digits")
    digits.add_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert "--classes 3,7|all" in text
    assert "3,7: 3 against 7" in text and "(default: 3,7)" in text
    assert (
        "all: the ten digits 0-9, softmax regression with Linear(64, 10) and CrossEntropyLoss"
        in text
    )
