"""studies.multiclass: how a fit of three classes or more shows itself in a notebook."""

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris

from logitlab.config import FitSettings, ModelOptions
from logitlab.studies.multiclass import fit_multiclass


def test_repr_is_one_short_line_and_the_card_escapes_names():
    data = load_iris(as_frame=True)
    frame = pd.DataFrame({"<b>sl": data.frame.iloc[:, 0],
                          "species": data.target_names[data.target]})  # fmt: skip
    settings = FitSettings(model=ModelOptions(formula="species ~ `<b>sl`"), test_size=0.2)
    run = fit_multiclass(frame, settings)
    e, mle = run.evaluation, run.mle
    line = repr(run)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert (f"{run.design.rows_used} rows: 3 classes against 'setosa', llf {mle.llf:.4g}, "
            f"converged in {mle.iterations} iterations; accuracy {e.accuracy:.3f} on "
            f"{e.rows} held-out rows)") in line  # fmt: skip
    card = run._repr_html_()
    assert "<b>" not in card and "species ~ `&lt;b&gt;sl`" in card
    assert f"fitted on {int((~run.held_out).sum())}." in card
    assert f"<td>&lt;b&gt;sl</td><td>{mle.params[1, 1]:.4f}</td><td>{mle.bse[1, 1]:.4f}" in card
    for c, p, r in zip(mle.classes, e.precision, e.recall, strict=True):
        assert f"<td>{c}</td><td>{p:.4f}</td><td>{r:.4f}</td>" in card
    assert f"accuracy {e.accuracy:.4f}, log-loss {e.log_loss:.4f}" in card
    assert card.count("<div") == 1 and np.isfinite(e.auc_ovr)
