"""The example notebook runs as it is shipped, on an ipykernel (nbclient), so it cannot rot:
every cell runs without an error and shows what its words promise."""

from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parents[1] / "examples" / "lecture-and-a-table.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook run top to bottom (an error in a cell raises CellExecutionError)."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    kernel = notebook.metadata.kernelspec.name
    assert kernel in KernelSpecManager().find_kernel_specs()  # ipykernel's python3
    folder = str(tmp_path_factory.mktemp("notebook"))
    NotebookClient(notebook, timeout=300, kernel_name=kernel,
                   resources={"metadata": {"path": folder}}).execute()  # fmt: skip
    return notebook


def outputs(notebook, tag: str, kind: str) -> list[str]:
    """The outputs of one MIME type (text/plain with what was printed, text/html, image/png)
    of the cell tagged `tag`."""
    (cell,) = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    found = [o.get("data", {}).get(kind) for o in cell.outputs]
    if kind == "text/plain":
        found += [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"]
    return [text for text in found if text]


def test_every_code_cell_ran_without_an_error(executed):
    cells = [c for c in executed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]


def test_the_lecture_shows_its_card_and_each_fit_its_own(executed):
    (card,) = outputs(executed, "lecture", "text/html")
    assert "<td>gradient descent on BCE</td>" in card and "<td>maximum likelihood</td>" in card
    (line,) = outputs(executed, "lecture", "text/plain")
    assert line.startswith("LectureRun(2,000 points, truth [-1, 5], bce: [") and len(line) < 200
    (card,) = outputs(executed, "lecture-fit", "text/html")
    assert "Gradient descent on BCE" in card and "<td>Intercept</td>" in card
    (printed,) = outputs(executed, "lecture-repr", "text/plain")
    assert printed.startswith("FitResult(loss='mse', epochs=10000, params=[")
    assert printed.count("\n") == 1


@pytest.mark.parametrize("tag", ["lecture-figure", "table-figure"])
def test_figures_are_drawn(executed, tag):
    (png,) = outputs(executed, tag, "image/png")
    assert len(png) > 1000
    assert outputs(executed, tag, "text/plain")[0].startswith("<Figure size")


def test_a_table_fit_gives_the_reports_figures(executed):
    printed = outputs(executed, "table-figure", "text/plain")[1]
    assert printed == (
        "odds-ratios.png, roc.png, calibration.png, confusion.png, effects.png, gd-vs-mle.png\n"
    )


def test_the_table_fit_shows_its_coefficient_table_with_the_verdict(executed):
    (card,) = outputs(executed, "table-fit", "text/html")
    assert "<th>95% interval</th>" in card and "converged in" in card
    for term in ("Intercept", "GPA", "TUCE", "C(PSI)[T.1]"):
        assert f"<td>{term}</td>" in card
    (line,) = outputs(executed, "table-fit", "text/plain")
    assert line.startswith("TableFit(") and len(line) < 300


def test_the_summary_is_the_table_the_command_line_prints(executed):
    (printed,) = outputs(executed, "table-summary", "text/plain")
    assert "Logistic regression: maximum likelihood" in printed
    assert "It is the term with the largest |z|" in printed
    assert "gradient descent on BCE: converged" in printed


def test_the_mle_shows_its_coefficient_table(executed):
    (card,) = outputs(executed, "table-mle", "text/html")
    assert "maximum likelihood" in card and "<th>95% interval</th>" in card
    assert "<td>C(PSI)[T.1]</td>" in card
    (line,) = outputs(executed, "table-mle", "text/plain")
    assert line.startswith("MLEResult(nobs=32, params=[") and len(line) < 200
