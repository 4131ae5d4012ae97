"""Bad `--model` files: one line naming the file and what is wrong, exit 2, never a traceback (DESIGN §11).

Each case runs the command line in-process, headless, a few steps: load errors are said before training
(core/usermodel.py), build and step-0 errors end the run with kind model_file (exit 2, the line on stderr).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from makemore_tui.tui.cli import main

# the examples' helper (examples/notebook_layers.py), which each bad file's folder gets beside it (_bad_file)
NOTEBOOK_LAYERS = "import torch\nfrom notebook_layers import Linear, Tanh\n\n"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CASES = {
    "syntax": ("def build(vocab_size, block_size, generator)\n    return 1\n", "bad.py:1: SyntaxError"),
    "no-build": ("x = 1\n", "bad.py defines no build("),
    "missing-import": ("import makemore_no_such_module\n", "bad.py:1: a missing import: ModuleNotFoundError"),
    "raises": (
        "def build(vocab_size, block_size, generator):\n    raise ValueError('no net today')\n",
        "bad.py:2: build() raised ValueError: no net today",
    ),
    "wrong-return": ("def build(vocab_size, block_size, generator):\n    return 42\n", "bad.py: build returned an int"),
    "layer-without-parameters": (
        NOTEBOOK_LAYERS
        + "class Odd:\n    def __call__(self, x):\n        return x\n"
        + "def build(vocab_size, block_size, generator):\n"
        + "    C = torch.randn((vocab_size, 10), generator=generator)\n"
        + "    return C, [Linear(10 * block_size, vocab_size, generator), Odd()]\n",
        "bad.py: layers[1] (Odd) has no parameters()",
    ),
    "non-leaf": (
        NOTEBOOK_LAYERS
        + "def build(vocab_size, block_size, generator):\n"
        + "    C = torch.randn((vocab_size, 10), generator=generator, requires_grad=True) * 0.1\n"
        + "    return C, [Linear(10 * block_size, vocab_size, generator)]\n",
        "bad.py: parameter 0 (27, 10) is not a leaf tensor",
    ),
    "no-parameters": (
        "import torch\nclass Net:\n    def __call__(self, X):\n        return torch.zeros(X.shape[0], 27)\n"
        "    def parameters(self):\n        return []\n"
        "def build(vocab_size, block_size, generator):\n    return Net()\n",
        "bad.py: the net has no trainable parameters",
    ),
    "forward-raises": (  # a hard-coded fan_in meets --block-size 8
        NOTEBOOK_LAYERS
        + "def build(vocab_size, block_size, generator):\n"
        + "    C = torch.randn((vocab_size, 10), generator=generator)\n"
        + "    return C, [Linear(30, 100, generator), Tanh(), Linear(100, vocab_size, generator)]\n",
        "bad.py: step 0's forward or backward pass raised RuntimeError: mat1 and mat2 shapes cannot be multiplied",
    ),
    "wrong-logits": (
        NOTEBOOK_LAYERS
        + "def build(vocab_size, block_size, generator):\n"
        + "    C = torch.randn((vocab_size, 10), generator=generator)\n"
        + "    return C, [Linear(10 * block_size, 100, generator), Tanh()]\n",
        "bad.py: logits of shape (32, 100), expected (32, 27) (batch, vocab_size)",
    ),
    "knob-without-default": (
        "def build(vocab_size, block_size, generator, dropout):\n    pass\n",
        "bad.py: build's knob 'dropout' has no default",
    ),
    "loop-knob": (
        "def build(vocab_size, block_size, generator, lr=0.1):\n    pass\n",
        "knob 'lr' is the training loop's",
    ),
}


def _bad_file(tmp_path, source: str, name: str = "bad.py") -> Path:
    """`source` written to tmp_path/`name`, with the examples' notebook_layers.py beside it."""
    (tmp_path / "notebook_layers.py").write_text((EXAMPLES / "notebook_layers.py").read_text())
    path = tmp_path / name
    path.write_text(source)
    return path


def _run(tmp_path, source: str | None, *flags: str, name: str = "bad.py"):
    path = _bad_file(tmp_path, source, name) if source is not None else tmp_path / name
    argv = ["--headless", "--model", str(path), "--steps", "3", "--run-log", str(tmp_path / "run.jsonl"), *flags]
    return main(argv)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_file_is_one_line_naming_it_and_exit_2(case, tmp_path, capsys):
    source, expected = CASES[case]
    flags = ("--block-size", "8") if case == "forward-raises" else ()
    assert _run(tmp_path, source, *flags) == 2
    out, err = capsys.readouterr()
    # the whole of stderr is that one line, said before any banner or run line (stdout stays empty)
    assert err.startswith("makemore-tui: ") and err.count("\n") == 1 and expected in err, err
    assert out == "", out
    assert not (tmp_path / "run.jsonl").exists()  # refused before the run log was opened


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_app_refuses_a_bad_file_before_its_screen_starts(case, tmp_path, capsys, monkeypatch):
    import makemore_tui.tui.cli as cli

    def no_app(*args, **kwargs):
        raise AssertionError("the app started on a bad --model file")

    monkeypatch.setattr(cli, "app_refusal", lambda *args: None)  # as on a terminal
    monkeypatch.setattr(cli, "_run_app", no_app)
    source, expected = CASES[case]
    path = _bad_file(tmp_path, source)
    block = ["--block-size", "8"] if case == "forward-raises" else []
    assert main(["--model", str(path), "--run-log", str(tmp_path / "run.jsonl"), *block]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("makemore-tui: ") and err.count("\n") == 1 and expected in err, err
    assert out == "", out


def test_a_missing_file_is_named(tmp_path, capsys):
    assert _run(tmp_path, None, name="nowhere.py") == 2
    assert "nowhere.py: no such file" in capsys.readouterr().err


def test_a_flag_for_a_field_build_does_not_take_is_refused_but_a_presets_value_is_not(tmp_path, capsys):
    source = textwrap.dedent(
        """\
        import torch
        def build(vocab_size, block_size, generator, hidden=20, scale=0.1):
            C = torch.randn((vocab_size, 4), generator=generator)
            W = torch.randn((4 * block_size, vocab_size), generator=generator) * 0.1
            class Layer:
                def __call__(self, x):
                    return x @ W
                def parameters(self):
                    return [W]
            return C, [Layer()]
        """
    )
    assert _run(tmp_path, source, "--gain", "2") == 2
    assert "mynet.py's build() takes no gain" in capsys.readouterr().err.replace("bad.py", "mynet.py")
    assert _run(tmp_path, source, "--compare", "batchnorm=on,off") == 2
    assert "takes no batchnorm" in capsys.readouterr().err
    assert _run(tmp_path, source, "--set", "dropout=0.1") == 2
    assert "bad.py's build() takes no dropout" in capsys.readouterr().err
    assert _run(tmp_path, source, "--set", "scale=big") == 2
    assert "bad.py's build() takes scale as a number (default 0.1), got 'big'" in capsys.readouterr().err
    assert _run(tmp_path, source, "--preset", "lecture", "--hidden", "30") == 0  # preset gain/BN: never refused
    capsys.readouterr()


def test_a_build_that_never_returns_still_lets_ctrl_c_end_headless(tmp_path):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "hang.py"
    path.write_text(  # fmt: skip
        "def build(vocab_size, block_size, generator):\n    print('building')\n    while True:\n        pass\n"
    )
    argv = [sys.executable, "-m", "makemore_tui", "--headless", "--model", str(path), "--run-log", str(tmp_path / "r")]
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "hang.py: building" in process.stderr.readline()  # said from inside build: the trainer is stuck
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130  # it ends (it used to wait for the trainer for ever)
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
