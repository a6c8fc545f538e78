"""Grouped binomial data against the same data as rows: logitlab's MLE (stats.mle) of G groups
fitted with trials, as frequency-weighted 0/1 rows (a row of successes and a row of failures
per group, weighted by their counts) and as the expanded Bernoulli rows (one per trial),
beside statsmodels' GLM with freq_weights on the weighted rows and with its two-column
(successes, failures) endog on the groups, all on one draw.

    .venv/bin/python bench/grouped.py [--groups G] [--repeat R]

Columns: seconds (best of --repeat; the machine is shared), the ratio to the grouped fit,
the rows the fit reads, and the largest coefficient difference from the grouped fit (the same
maximum: they should agree to rounding).
"""

from __future__ import annotations

import argparse

import numpy as np

from timing import best  # bench/timing.py, beside this file

GROUPS, D, MAX_TRIALS, SEED, REPEATS = 10**5, 5, 10, 20261206, 3


def data(groups: int = GROUPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`groups` rows of D normal features, each with 1..MAX_TRIALS trials and its successes."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(groups, D))
    trials = rng.integers(1, MAX_TRIALS + 1, groups).astype(float)
    p = 1.0 / (1.0 + np.exp(-(0.3 + X @ np.linspace(-0.6, 0.6, D))))
    return X, rng.binomial(trials.astype(int), p).astype(float), trials


def weighted(X, successes, trials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The groups as 0/1 rows: successes as y = 1 and failures as y = 0, each weighted by its
    count (rows of weight 0 left out)."""
    rows = np.concatenate([X, X])
    y = np.concatenate([np.ones(len(X)), np.zeros(len(X))])
    w = np.concatenate([successes, trials - successes])
    keep = w > 0
    return np.ascontiguousarray(rows[keep]), y[keep], w[keep]


def expanded(X, y, w) -> tuple[np.ndarray, np.ndarray]:
    """The weighted rows repeated: one Bernoulli row per trial."""
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    return np.ascontiguousarray(X[rows]), y[rows]


def run(groups: int = GROUPS, repeats: int = REPEATS) -> list[tuple[str, float, int, float]]:
    """(what, seconds, rows read, max |coefficient - the grouped fit's|) per row."""
    import statsmodels.api as sm

    from logitlab.stats import mle

    X, successes, trials = data(groups)
    Xw, yw, w = weighted(X, successes, trials)
    Xe, ye = expanded(Xw, yw, w)
    mle.fit(X[:1000], successes[:1000], trials=trials[:1000])  # the compiled pass loaded
    seconds, grouped = best(lambda: mle.fit(X, successes, trials=trials), repeats)
    rows = [("logitlab, grouped (trials)", seconds, len(X), 0.0)]

    def add(what: str, n: int, work) -> None:
        seconds, params = best(work, repeats)
        rows.append((what, seconds, n, float(np.abs(params - grouped.params).max())))

    add("logitlab, frequency-weighted 0/1 rows", len(yw),
        lambda: mle.fit(Xw, yw, weights=w).params)  # fmt: skip
    add("logitlab, expanded Bernoulli rows", len(ye), lambda: mle.fit(Xe, ye).params)
    family = sm.families.Binomial()
    add("statsmodels GLM, freq_weights on 0/1 rows", len(yw),
        lambda: sm.GLM(yw, sm.add_constant(Xw), family=family, freq_weights=w)
        .fit(tol=1e-10).params)  # fmt: skip
    endog = np.column_stack([successes, trials - successes])
    add(
        "statsmodels GLM, (successes, failures) groups",
        len(X),
        lambda: sm.GLM(endog, sm.add_constant(X), family=family).fit(tol=1e-10).params,
    )
    return rows


def show(rows: list[tuple[str, float, int, float]]) -> None:
    """The rows as a table, each time also as a ratio to the grouped fit's."""
    groups = rows[0][2]
    print(f"{groups:,} groups of 1..{MAX_TRIALS} trials, d = {D}")
    head = f"{'':<48}{'seconds':>9}{'x grouped':>11}{'rows':>11}{'max |db|':>10}"
    print(head)
    print("-" * len(head))
    ours = rows[0][1]
    for what, seconds, n, gap in rows:
        print(f"{what:<48}{seconds:>9.3f}{seconds / ours:>11.2f}{n:>11,}{gap:>10.1e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=GROUPS, help="groups (default: 10**5)")
    parser.add_argument("--repeat", type=int, default=REPEATS, help="runs per timing")
    args = parser.parse_args()
    show(run(args.groups, args.repeat))
