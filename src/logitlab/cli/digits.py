"""`logitlab digits`: 3 against 7 on scikit-learn's 8 x 8 digits, Adam on mini-batches."""

from __future__ import annotations

import argparse

from ..config import DigitsConfig
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
    "trained with Adam on mini-batches; held-out accuracy and the weights as an 8x8 image."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DigitsConfig()
    group = parser.add_argument_group("training: Adam on mini-batches, BCE from the logits")
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
    split = parser.add_argument_group("held-out images: a stratified split of the 3s and 7s")
    for flag, default, text in (
        ("--test-size", defaults.test_size, "share of the images held out"),
        ("--split-seed", defaults.split_seed, "seed of the split"),
    ):
        split.add_argument(flag, type=number, default=default,
                           help=f"{text} (default: %(default)s)")  # fmt: skip
    add_output_options(parser, default_out="logitlab-digits")
    add_format_option(parser)


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
    """Accuracy of this run and of scikit-learn's on both sides, and why there is no MLE."""
    fit = results["fit"]
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
