"""The command line: every user error is one line, found before any work is done or any file written."""

import argparse
import subprocess
import sys
import warnings

import pytest

from spinlab.__main__ import main
from spinlab.cli import _model_for
from spinlab.data import DATA_DIR
from spinlab.models import shipped_path


def _error_line(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("argv, message", [
    (["generate", "tetrahedral", "--out", "{tmp}/a", "--L", "-6"], "--L: must be a positive integer"),
    (["generate", "tetrahedral", "--out", "{tmp}/a", "--L", "7"], "multiple of 6"),
    (["generate", "120-degree", "--out", "{tmp}/a", "--L", "8"], "multiple of 6"),
    (["generate", "tetrahedral", "--out", "{tmp}/a", "--steps", "-10"], "--steps: must be a positive integer"),
    (["generate", "tetrahedral", "--out", "{tmp}/a", "--relaxations", "-2"], "--relaxations: must be a non-negative"),
    (["generate", "double-exchange", "--out", "{tmp}/a", "--dt", "0"], "--dt: must be a positive number"),
    (["generate", "double-exchange", "--out", "{tmp}/a", "--alpha", "nan"], "--alpha: must be a number >= 0"),
    (["generate", "tetrahedral", "--out", "{tmp}/a", "--random", "-5"], "--random: must be a non-negative"),
    (["generate", "tetrahedral", "--out", "{tmp}/a", "--relaxations", "0", "--thermal-runs", "0", "--random", "0"],
     "no snapshots"),
    (["train", "{tmp}/missing", "--out", "{tmp}/m"], "no dataset folder"),
    (["train", "{tmp}", "--out", "{tmp}/m", "--epochs", "-5"], "--epochs: must be a positive integer"),
    (["reproduce", "orders", "tetrahedral", "--L-large", "50", "--out", "{tmp}"], "multiple of 6"),
    (["reproduce", "orders", "double-exchange", "--out", "{tmp}"], "invalid choice: 'double-exchange'"),
    (["reproduce", "de-benchmark", "--L", "7", "--out", "{tmp}"], "multiple of 2"),
    (["reproduce", "locality", "--L", "12", "--radii", "7", "--out", "{tmp}"], "below L/2"),
    (["reproduce", "interface-motion", "--large", "64by48", "--work", "{tmp}/a"], "a strip size is LXxLY"),
    (["reproduce", "interface-motion", "--records", "7", "--work", "{tmp}/a"], "multiple of records"),
    (["reproduce", "interface-motion", "--large", "64x4", "--work", "{tmp}/a"], "wraps onto itself"),
    (["reproduce", "interface-motion", "--model", "{tmp}/none", "--work", "{tmp}/a"], "{tmp}/none"),
])
def test_bad_arguments_end_in_one_line_and_write_nothing(capsys, tmp_path, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    message = message.replace("{tmp}", str(tmp_path))
    err = _error_line(capsys, argv)
    assert err.startswith("spinlab") and "error:" in err and message in err, err
    assert not (tmp_path / "a").exists()  # validation comes before any file


def test_every_option_has_help_and_shows_its_default():
    for command in (["generate"], ["train"], ["reproduce", "orders"], ["reproduce", "coarsening"],
                    ["reproduce", "cutoff-sweep"], ["reproduce", "locality"], ["reproduce", "chiral-order"]):
        text = subprocess.run([sys.executable, "-m", "spinlab", *command, "--help"], capture_output=True,
                              text=True, check=True).stdout
        assert "(default: " in text, command
        options = [line.split()[0] for line in text.splitlines() if line.startswith("  --")]
        for option in options:
            block = text.split(option, 1)[1].split("\n  -", 1)[0]
            assert len(block.split()) > 1, f"{command} {option} has no help text"


@pytest.mark.parametrize("command, plan_class", [("generate-walls", "WallDataPlan"), ("generate-driven", "StripPlan")])
def test_data_commands_default_to_their_plans_defaults(command, plan_class):
    from spinlab import cli, strip_data, wall_data

    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers())
    args = parser.parse_args([command, "--out", "x"])
    plan = getattr(wall_data if command == "generate-walls" else strip_data, plan_class)
    assert cli._plan_from(plan, args) == plan()
    changed = cli._plan_from(plan, parser.parse_args([command, "--out", "x", "--steps", "70", "--seed", "3"]))
    assert (changed.steps, changed.seed) == (70, 3)


def test_reproduce_writes_into_the_named_folder_never_into_the_package(tmp_path, monkeypatch):
    from spinlab import cli

    class Args:
        out, update_shipped = str(tmp_path / "results"), False

    assert cli._results_path(Args, "orders-tetrahedral.npz") == tmp_path / "results" / "orders-tetrahedral.npz"
    Args.update_shipped = True
    assert cli._results_path(Args, "orders-tetrahedral.npz") == DATA_DIR / "orders-tetrahedral.npz"
    monkeypatch.chdir(tmp_path)
    parsed = __import__("spinlab.__main__", fromlist=["build_parser"]).build_parser().parse_args(
        ["reproduce", "orders", "tetrahedral"])
    assert parsed.out == "results" and not parsed.update_shipped


def test_a_model_of_another_preset_is_used_only_with_a_warning():
    with pytest.warns(UserWarning, match="trained on 120-degree data, not on tetrahedral"):
        _model_for("tetrahedral", shipped_path("120-degree"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model_for("tetrahedral", shipped_path("tetrahedral"))


def test_the_readme_quick_start_commands_are_valid():
    from pathlib import Path

    from spinlab.__main__ import build_parser

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("python -m spinlab ", 1)[1].split("#")[0].split() for line in quick.splitlines()
                if "python -m spinlab" in line]
    assert len(commands) == 2
    for argv in commands:
        build_parser().parse_args(argv)  # exits on any option the command line no longer has
