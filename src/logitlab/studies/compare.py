"""Models of one table compared: each formula fitted by maximum likelihood on the same rows,
the likelihood-ratio tests of the nested sequence as R's anova(m1, m2, test="Chisq") gives
them, and the information criteria of every model as R's AIC(m1, m2) and BIC(m1, m2).

Rows with a missing value in any column any formula reads are dropped from every model (R
fits each on its own rows, and then refuses an anova of models fitted to different numbers
of rows). A pair that is not nested gets no LR test, said in one line; the AIC and BIC,
which compare any two models of the same rows, are given for every model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..config import CompareSettings, shown
from ..data.checks import check_frame, complete_rows, missing_counts, missing_words
from ..data.design import Design, build_design
from ..data.formula import formula_text, parse_formula, used_columns
from ..errors import ConfigError, SeparationError
from ..stats import mle as mle_module
from ..stats.anova import Anova, anova, in_span, with_intercept
from .timing import timed

if TYPE_CHECKING:
    import pandas

    from ..stats.mle import MLEResult


@dataclass(frozen=True)
class Compared:
    """One model of a comparison: its formula, design and maximum-likelihood fit."""

    formula: str
    design: Design
    mle: MLEResult


@dataclass(frozen=True)
class Comparison:
    """`logitlab compare`'s record: the models in the order given, all fitted on the same
    `rows_used` rows (`dropped` for a missing value, `missing` per column); `anova` the LR
    tests of the sequence, None with `refusal` saying which pair is not nested."""

    source: str
    target: str
    models: tuple[Compared, ...]
    rows_used: int
    dropped: int
    missing: dict[str, int]
    anova: Anova | None
    refusal: str
    seconds: float = 0.0

    def criteria(self) -> list[dict]:
        """Per model, R's AIC(m1, m2) and BIC(m1, m2): df (coefficients), logLik, AIC, BIC."""
        return [{"model": i + 1, "formula": m.formula, "df": len(m.mle.params),
                 "loglik": m.mle.loglik, "aic": m.mle.aic, "bic": m.mle.bic}
                for i, m in enumerate(self.models)]  # fmt: skip

    def summary(self) -> str:
        """The text `logitlab compare` prints: the rows, the LR tests (or why none), the
        information criteria."""
        dropped = missing_words(self.dropped, self.missing)
        lines = [f"{len(self.models)} models of {self.target} on the same {self.rows_used:,} "
                 f"rows of {self.source}; {dropped}", ""]  # fmt: skip
        lines += [self.anova.table() if self.anova is not None else self.refusal, ""]
        rows = self.criteria()
        width = max(len(f"Model {r['model']}") for r in rows)
        lines.append(f"{'':<{width}} {'df':>4} {'logLik':>12} {'AIC':>12} {'BIC':>12}")
        for r in rows:
            lines.append(f"{'Model ' + str(r['model']):<{width}} {r['df']:>4} "
                         f"{r['loglik']:>12.4f} {r['aic']:>12.4f} {r['bic']:>12.4f}")  # fmt: skip
        aic, bic = self.lowest()
        lines.append(f"lowest AIC: model {aic}; lowest BIC: model {bic}")
        return "\n".join(lines)

    def lowest(self) -> tuple[int, int]:
        """The models (numbered from 1) of the lowest AIC and of the lowest BIC."""
        rows = self.criteria()
        return (min(rows, key=lambda r: r["aic"])["model"],
                min(rows, key=lambda r: r["bic"])["model"])  # fmt: skip

    def __repr__(self) -> str:
        """One line, not the fits: the models, the rows, the LR tests' p-values (or that the
        models are not nested) and the lowest AIC and BIC."""
        tests = ("not nested" if self.anova is None else
                 "LR p " + ", ".join(f"{p:.4g}" for p in self.anova.pvalues[1:]))  # fmt: skip
        aic, bic = self.lowest()
        return (f"Comparison({len(self.models)} models of {self.target!r}, {self.rows_used:,} "
                f"rows of {self.source}: {tests}; lowest AIC model {aic}, lowest BIC model "
                f"{bic})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: R's analysis of deviance and the information criteria."""
        from ..display import html, number

        criteria = [[r["model"], r["formula"], r["df"], number(r["loglik"]), number(r["aic"]),
                     number(r["bic"])] for r in self.criteria()]  # fmt: skip
        return html("compare.html", run=self, dropped=missing_words(self.dropped, self.missing),
                    criteria=criteria, lowest=self.lowest())  # fmt: skip


@timed
def run_compare(frame: pandas.DataFrame, settings: CompareSettings) -> Comparison:
    """Fit every formula of `settings` on the rows complete in every column any of them
    reads, and compare them: the LR test of each model against the one before when every
    pair is nested, and each model's logLik, AIC and BIC. ConfigError when the formulas
    name different targets; SeparationError naming the model whose MLE does not exist."""
    frame = check_frame(frame)
    model = settings.model
    targets, columns = [], []
    for formula in settings.formulas:
        target, rhs = parse_formula(formula_text(frame, formula, None, None), frame)
        targets.append(target)
        columns += used_columns(rhs, frame, target)
    if len(set(targets)) > 1:
        named = ", ".join(f"{t!r} in formula {i + 1}" for i, t in enumerate(targets))
        raise ConfigError(f"the formulas must share one target to be compared, got {named}")
    counted = [c for c in (model.weights, model.trials) if c is not None]
    used = (targets[0], *dict.fromkeys(columns), *counted)
    _, rows = complete_rows(frame, used, model.missing)
    kept = frame.iloc[rows]
    models = []
    for i, formula in enumerate(settings.formulas):
        design = build_design(kept, replace(model, formula=formula))
        try:
            mle = mle_module.fit(design.X, design.y, intercept=design.intercept,
                                 names=design.names, weights=design.weights,
                                 trials=design.trials)  # fmt: skip
        except SeparationError as exc:
            raise SeparationError(f"model {i + 1} ({shown(formula)}): {exc}") from None
        models.append(Compared(formula, design, mle))
    refusal = not_nested(models)
    return Comparison(
        source=f"a table of {len(frame):,} rows",
        target=targets[0],
        models=tuple(models),
        rows_used=len(rows),
        dropped=len(frame) - len(rows),
        missing=missing_counts(frame, used) if len(rows) < len(frame) else {},
        anova=None if refusal else anova([m.mle for m in models], settings.formulas),
        refusal=refusal,
    )


def not_nested(models: list[Compared]) -> str:
    """'' when each model is nested in the one before or holds it (its design's columns,
    the intercept's included, in the span of the other's), else the line that says which
    pair is not and why no LR test is given."""
    for i in range(1, len(models)):
        a, b = (with_intercept(m.design.X, m.design.intercept) for m in models[i - 1 : i + 1])
        small, large = (a, b) if a.shape[1] <= b.shape[1] else (b, a)
        if not in_span(small, large):
            return (f"no likelihood-ratio test: models {i} and {i + 1} are not nested (neither "
                    "one's columns lie in the span of the other's); their AIC and BIC below "
                    "compare them")  # fmt: skip
    return ""


__all__ = ["Compared", "Comparison", "not_nested", "run_compare"]
