"""One worker of the sharded tests, run under torchrun: agree the design of DATA's share,
fit the MLE, and save what this worker got (its columns, the coefficients) as rank<R>.npz,
or its one-line error as rank<R>.txt. Not a test module: test_sharded.py launches it."""

import sys
from functools import partial

import numpy as np

from logitlab.data.shards import agree_design, open_shards
from logitlab.engines.collective import gathered, join, leave
from logitlab.errors import LogitlabError
from logitlab.stats.sharded import fit_sharded

data, formula, out, chunk_rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
group = join(timeout=30)
try:
    shards = open_shards(data).share(group.rank, group.world)
    design = agree_design(shards, partial(gathered, group), formula=formula)
    blocks = [x for x, _ in design.batches(shards, chunk_rows)]
    result = fit_sharded(
        lambda: design.batches(shards, chunk_rows),
        group,
        nobs=design.rows_used,
        successes=design.successes,
        names=design.names,
        intercept=design.intercept,
    )
    np.savez(
        f"{out}/rank{group.rank}.npz",
        params=result.params,
        se=result.se,
        names=np.array(result.names),
        X=np.vstack(blocks) if blocks else np.zeros((0, len(design.names))),
        rows=np.array(design.rows_per_worker),
    )
except LogitlabError as exc:
    with open(f"{out}/rank{group.rank}.txt", "w") as handle:
        handle.write(str(exc))
    sys.exit(exc.exit_code)
finally:
    leave()
