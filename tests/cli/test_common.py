"""The study commands' one skeleton, run_study: checks first, then the study, the folder
written whole, the summary printed."""

import argparse

import pytest

from logitlab.cli.common import Study, run_study
from logitlab.config import DataConfig, LectureConfig
from logitlab.errors import ConfigError


def namespace(out, **given) -> argparse.Namespace:
    """The options run_study reads, as a study command's parser leaves them."""
    options = {"out": str(out), "force": False, "quiet": True, "format": "png"}
    return argparse.Namespace(**(options | given))


def test_run_study_checks_then_runs_writes_and_shows(tmp_path):
    seen = []

    def write(record, stage, formats):
        (stage / "record.txt").write_text(str(record))
        return ["record.txt", formats]

    def study(args):
        seen.append("imported")
        return Study(run=lambda config, progress: config.data.n * 2, write=write,
                     show=lambda config, record, written: seen.append((record, written)),
                     ready=lambda: seen.append("ready"))  # fmt: skip

    args = namespace(tmp_path / "out", format="png,svg")
    assert run_study(args, lambda a: LectureConfig(data=DataConfig(n=10)), study) == 0
    assert seen == ["imported", "ready", (20, ["record.txt", ("png", "svg")])]
    assert (tmp_path / "out" / "record.txt").read_text() == "20"


@pytest.mark.parametrize(
    ("settings", "given", "words"),
    [
        (lambda a: DataConfig(n=1), {}, "n must be an integer"),
        (lambda a: DataConfig(), {"format": "gif"}, "figure formats"),
        (lambda a: DataConfig(), {"out": "."}, "current folder"),
    ],
)
def test_run_study_refuses_before_the_study_is_imported(tmp_path, settings, given, words):
    def study(args):
        raise AssertionError("the study was reached")

    args = namespace(tmp_path / "out") if "out" not in given else namespace(given.pop("out"))
    for key, value in given.items():
        setattr(args, key, value)
    with pytest.raises(ConfigError, match=words):
        run_study(args, settings, study)
    assert not (tmp_path / "out").exists()


def test_a_command_without_figures_takes_no_format(tmp_path):
    written = []
    study = Study(run=lambda config, progress: "film",
                  write=lambda record, stage, formats: written.append(formats),
                  show=lambda *a: None)  # fmt: skip
    args = namespace(tmp_path / "out", format=None)
    assert run_study(args, lambda a: LectureConfig(), lambda a: study, figures=False) == 0
    assert written == [()]
