"""fit_shards with firth=True: the budworm's grouped rows (trials), read in chunks from CSV
files, give fit_table's Firth fit in memory to 1e-8 (estimates, logistf's SE, profile
intervals, penalized LR p-values and null), and the TableFit says which statistics are
penalized, as in memory."""

import numpy as np

from logitlab.engines.collective import Local
from logitlab.stats.firth import FirthResult
from logitlab.studies.fit import fit_table
from logitlab.studies.sharded import fit_shards


def test_grouped_rows_in_chunks_give_the_in_memory_firth_fit(budworm, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(budworm)), 2)):
        budworm.iloc[rows].to_csv(folder / f"part-{i}.csv", index=False)
    model = {"target": "dead", "features": ["ldose"], "trials": "n", "firth": True,
             "conf_level": 0.9}  # fmt: skip
    got = fit_shards(folder, Local(), chunk_rows=4, **model)
    want = fit_table(budworm, losses=(), **model)
    a, b = got.mle, want.mle
    assert isinstance(a, FirthResult) and a.profiled and b.profiled and a.grouped
    for name in ("params", "se", "lr_chi2", "lower", "upper", "pvalues", "penalized_loglik",
                 "penalized_llnull", "loglik", "deviance", "aic"):  # fmt: skip
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-8, atol=1e-10,
                                   err_msg=name)  # fmt: skip
    np.testing.assert_allclose(a.conf_int(), b.conf_int(), rtol=1e-8)
    summary = got.summary()
    assert "Penalized log-likelihood" in summary and "[0.05" in summary
    assert "read at most 4 at a time" in summary
