"""The command group finds each command in its module, and loads no module a command does not
need."""

import importlib
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from shoprel.cli import COMMAND_MODULE, main


def test_the_command_map_lists_every_command_of_every_module():
    found = {}
    for name in set(COMMAND_MODULE.values()):
        module = importlib.import_module(f"shoprel.cli.{name}")
        found.update({command.name: name for command in module.COMMANDS})
    assert found == COMMAND_MODULE


def test_help_lists_every_command_and_an_unknown_one_is_refused():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert all(f"  {name} " in result.output for name in COMMAND_MODULE)
    result = CliRunner().invoke(main, ["predictt"])
    assert result.exit_code == 2
    assert result.stderr == ("error: shoprel: no such command 'predictt'; did you mean "
                             "'predict'? (shoprel --help)\n")


def test_a_command_imports_only_its_own_module():
    code = ("import sys\nfrom shoprel.cli import main\n"
            "main(['check-submission', '--help'], standalone_mode=False)\n"
            "print(sorted(m for m in sys.modules if m.startswith('shoprel.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    # options: the helpers commands share (--quiet), no command's stack; repeats: the check
    # of every command's line (click alone)
    assert done.stdout.strip().splitlines()[-1] == ("['shoprel.cli.app', 'shoprel.cli.options', "
                                                    "'shoprel.cli.predict', "
                                                    "'shoprel.cli.repeats']")


@pytest.mark.parametrize("given, expected", [
    ({}, "3000"), ({"GOMP_SPINCOUNT": "300000"}, "300000"), ({"OMP_WAIT_POLICY": "active"}, None)])
def test_the_command_line_sets_openmp_spinning_unless_the_user_did(monkeypatch, given, expected):
    """libgomp's idle threads spun 300,000 rounds: with the cores shared, a fast train of 3,000
    real QC rows took 72-81 s against 61 s with 3,000 rounds (load ~7). The command line sets
    it before any command loads LightGBM or torch, and keeps a user's own choice."""
    from shoprel.cli import main

    for name in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert os.environ.get("GOMP_SPINCOUNT") == expected


def test_the_command_line_keeps_onnxruntime_from_writing_its_telemetry_files(tmp_path):
    """`import onnxruntime` (1.32) starts its telemetry: a `.ses` file in TMPDIR, a device id
    and an event store under ~/.cache/Microsoft. A `shoprel` command scoring with it (the default
    embed model's engine) wrote them all; the command line turns the telemetry off first."""
    pytest.importorskip("onnxruntime")
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if name != "ORT_DISABLE_TELEMETRY"}
    code = ("from shoprel.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "import onnxruntime\nonnxruntime.SessionOptions()\n")
    subprocess.run([sys.executable, "-c", code], env={**env, "TMPDIR": str(tmp),
                   "HOME": str(home)}, capture_output=True, check=True, timeout=120)
    assert sorted(tmp.rglob("*")) == [] and sorted(home.rglob("*")) == []


@pytest.mark.parametrize("given, expected", [({}, "1"), ({"ORT_DISABLE_TELEMETRY": "0"}, "0")])
def test_a_users_own_onnxruntime_telemetry_setting_stands(monkeypatch, given, expected):
    from shoprel.cli import main

    monkeypatch.delenv("ORT_DISABLE_TELEMETRY", raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert os.environ.get("ORT_DISABLE_TELEMETRY") == expected
