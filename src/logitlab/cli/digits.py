"""`logitlab digits`: 3 against 7 on scikit-learn's 8 x 8 digits, Adam on mini-batches; with
--classes all the ten digits by softmax regression."""

from __future__ import annotations

import argparse

from ..config import DIGITS_ALL, DIGITS_PAIR, DigitsConfig, check_digit_classes
from ..errors import ConfigError
from .common import (
    Study,
    add_engine_option,
    add_format_option,
    add_output_options,
    number,
    run_study,
)

NAME = "digits"
HELP = (
    "Digits, 3 against 7: logistic regression on the 64 pixels of scikit-learn's 8x8 digits, "
    "trained with Adam on mini-batches; held-out accuracy and the weights as an 8x8 image. "
    "With --classes all, the ten digits by softmax regression."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DigitsConfig()
    parser.add_argument(
        "--classes", type=classes, default=defaults.classes, metavar=f"{DIGITS_PAIR}|{DIGITS_ALL}",
        help=f"{DIGITS_PAIR}: 3 against 7, logistic regression with Linear(64, 1) and BCE (the "
        f"course's first step); {DIGITS_ALL}: the ten digits 0-9, softmax regression with "
        "Linear(64, 10) and CrossEntropyLoss, the same training and split, its 10x10 confusion "
        "matrix, per-digit precision and recall and each digit's weights as an 8x8 image "
        "(default: %(default)s)",
    )  # fmt: skip
    group = parser.add_argument_group(
        "training: Adam on mini-batches, cross-entropy from the logits (BCE for two classes)"
    )
    options = (
        ("--epochs", defaults.epochs, "passes over the training images"),
        ("--lr", defaults.lr, "Adam's learning rate"),
        ("--batch-size", defaults.batch_size, "training images per step"),
        ("--shuffle-seed", defaults.shuffle_seed, "seed of the order the batches are drawn in"),
    )
    for flag, default, text in options:
        group.add_argument(flag, type=number, default=default,
                           help=f"{text} (default: %(default)s)")  # fmt: skip
    add_engine_option(group)
    split = parser.add_argument_group("held-out images: a stratified split by digit")
    for flag, default, text in (
        ("--test-size", defaults.test_size, "share of the images held out"),
        ("--split-seed", defaults.split_seed, "seed of the split"),
    ):
        split.add_argument(flag, type=number, default=default,
                           help=f"{text} (default: %(default)s)")  # fmt: skip
    add_output_options(parser, default_out="logitlab-digits")
    add_format_option(parser)


def classes(text: str) -> str:
    """--classes as DigitsConfig checks it, refused by argparse so the message names the flag."""
    try:
        return check_digit_classes(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    return run_study(args, settings, study)


def settings(args: argparse.Namespace) -> DigitsConfig:
    return DigitsConfig(
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        shuffle_seed=args.shuffle_seed,
        split_seed=args.split_seed,
        test_size=args.test_size,
        engine=args.engine,
        classes=args.classes,
    )


def study(args: argparse.Namespace) -> Study:
    from ..records import to_record
    from ..report.digits import write_digits
    from ..studies.digits import run_digits

    def show(config: object, result: object, names: list[str]) -> None:
        print_summary(to_record(result))
        print(f"\nWrote {len(names)} files to {args.out}/")

    return Study(run=run_digits, write=lambda result, stage, formats: write_digits(
        result, stage, formats=formats), show=show)  # fmt: skip


def print_summary(results: dict) -> None:
    """Accuracy of this run and of scikit-learn's on both sides, and why there is no MLE;
    for the ten digits, the held-out per-digit recall and the hardest image instead."""
    fit = results["fit"]
    if results["settings"]["classes"] == DIGITS_ALL:
        print_ten_summary(results)
        return
    print(f"Adam, {fit['epochs']:,} epochs on the {fit['engine']} engine: "
          f"training loss {fit['final_loss']:.3g}")  # fmt: skip
    for label, scores in (("this run", results["scores"]),
                          ("scikit-learn (L2, C=1)", results["reference"]["scores"])):  # fmt: skip
        train, test = scores["train"], scores["test"]
        print(f"  {label:<24} accuracy: training {train['accuracy']:.4f} ({train['n']} images), "
              f"held out {test['accuracy']:.4f} ({test['n']} images)")  # fmt: skip
    agree = results["weights_vs_mean_difference"]
    print(f"Weights' sign = sign of mean 7 - mean 3 on {agree['agree']} of {agree['pixels']} "
          "pixels where the means differ")  # fmt: skip
    if results["separable"]:
        print("The training 3s and 7s are separable: the maximum-likelihood estimate does not "
              "exist, so the fit is gradient descent for a fixed number of epochs.")  # fmt: skip


def print_ten_summary(results: dict) -> None:
    """Accuracy of the softmax fit and of scikit-learn's on both sides, each digit's held-out
    precision and recall, and the held-out image least likely its own digit."""
    fit = results["fit"]
    print(f"Softmax regression, Adam, {fit['epochs']:,} epochs on the {fit['engine']} engine: "
          f"training loss {fit['final_loss']:.3g}")  # fmt: skip
    reference = results["reference"]["scores"]
    for label, scores in (
        ("this run", results["scores"]),
        ("scikit-learn (multinomial)", reference),
    ):
        train, test = scores["train"], scores["test"]
        print(f"  {label:<26} accuracy: training {train['accuracy']:.4f} ({train['rows']} "
              f"images), held out {test['accuracy']:.4f} ({test['rows']} images)")  # fmt: skip
    test = results["scores"]["test"]
    per_digit = ", ".join(f"{d} {test['precision'][d]:.2f}/{test['recall'][d]:.2f}"
                          for d in test["precision"])  # fmt: skip
    print(f"Held out, per digit (precision/recall): {per_digit}")
    worst = results["hardest"][0]
    print(f"Hardest held-out image: row {worst['row']}, a {worst['digit']} called a "
          f"{worst['predicted']}, P({worst['digit']}) = {worst['p_digit']:.3f}")  # fmt: skip
