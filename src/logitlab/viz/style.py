"""The one colour and label table: each loss and each optimizer looks and reads the same in
every figure and page.

Blue (C0) is the data and red the truth; the fits take the other colours of the default cycle.
"""

from __future__ import annotations

DATA_COLOR = "C0"
TRUTH_COLOR = "red"
#: The maximum-likelihood estimate (Newton-Raphson): black, drawn thin and dotted over the fits.
MLE_COLOR = "black"
MLE_LABEL = "MLE"
#: The binned proportions of y = 1 with their intervals.
BIN_COLOR = "black"
LOSS_COLORS = {"bce": "C1", "mse": "C2"}
LOSS_LABELS = {"bce": "BCE", "mse": "MSE"}
#: Colours for other fitted curves: the default cycle without the data's, truth's and losses'.
OTHER_COLORS = ("C4", "C5", "C6", "C8", "C9")
#: One colour per optimizer (the spare colours), the same in every figure.
OPTIMIZER_COLORS = {"sgd": OTHER_COLORS[2], "momentum": OTHER_COLORS[3], "adam": OTHER_COLORS[4]}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
#: The classes y = 0 and y = 1 in the playground's 2-D view: TensorFlow Playground's orange
#: and blue (the data's blue for y = 1; no loss is drawn there, so orange says y = 0 alone).
CLASS_COLORS = ("C1", "C0")
#: Legend text size for figures projected in a classroom (Matplotlib's default is 10).
LEGEND_SIZE = 11
#: Line styles of a multinomial fit's classes past the ten colours of the default cycle.
CLASS_LINESTYLES = ("-", "--", ":", "-.")


def class_style(k: int) -> tuple[str, str]:
    """The colour and line style of the k-th class of a multinomial fit (its classes in
    order): the default cycle's ten colours, then again dashed, dotted, dash-dotted."""
    return f"C{k % 10}", CLASS_LINESTYLES[k // 10 % len(CLASS_LINESTYLES)]


def loss_label(loss: str) -> str:
    """How a loss is named in figures and reports: 'BCE', 'MSE'."""
    return LOSS_LABELS[loss]


def optimizer_label(optimizer: str) -> str:
    """How an optimizer is named in figures and reports: 'SGD', 'Adam'."""
    return OPTIMIZER_LABELS[optimizer]


def fit_label(loss: str) -> str:
    """The legend label of the curve fitted with `loss`: 'BCE fit'."""
    return f"{loss_label(loss)} fit"


def path_label(loss: str) -> str:
    """The legend label of the gradient-descent path on `loss`: 'gradient descent on BCE'."""
    return f"gradient descent on {loss_label(loss)}"


#: Legend label of a fitted curve -> its colour, so a fit has one colour everywhere.
FIT_COLORS = {fit_label(loss): color for loss, color in LOSS_COLORS.items()}


def page_colors() -> dict[str, str]:
    """The table's colours as the playground's page draws them (CSS hex, GET /api/config):
    the data, truth, MLE, each loss and the 2-D view's classes (class0, class1), so the page
    restates none of them."""
    from matplotlib.colors import to_hex

    classes = {f"class{label}": color for label, color in enumerate(CLASS_COLORS)}
    named = {"data": DATA_COLOR, "truth": TRUTH_COLOR, "mle": MLE_COLOR, **LOSS_COLORS, **classes}
    return {name: to_hex(color) for name, color in named.items()}
