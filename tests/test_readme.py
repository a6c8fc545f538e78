"""Every Python block in the README runs as written, top to bottom.

The blocks run in one namespace (a later block may use names from an earlier one, as a reader
would in a notebook), in a fresh interpreter whose working directory is a temporary folder,
so nothing lands in the repository and no state leaks in from the test session.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

#: A fenced ```python block at the start of a line, up to its closing fence.
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

#: Runs in the child: compile each block against README.md, padded so that a traceback
#: names the README's own file and line numbers, and exec it in one shared namespace.
RUNNER = """
import json, sys

readme, blocks = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for line, code in blocks:
    exec(compile("\\n" * (line - 1) + code, readme, "exec"), namespace)
print(f"README: {len(blocks)} python blocks ran")
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first code line, code) of every ```python block, in order; lines count from 1."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in FENCE.finditer(text)]


def test_readme_has_python_blocks_and_finds_them_all():
    text = README.read_text(encoding="utf-8")
    blocks = python_blocks(text)
    assert blocks, "README.md has no ```python block"
    assert len(blocks) == text.count("```python"), "a ```python fence was not parsed"
    for line, code in blocks:
        assert text.splitlines()[line - 2].startswith("```python"), line
        assert code.strip(), f"empty python block at README.md line {line}"


def test_readme_python_blocks_run_top_to_bottom(tmp_path):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks
    blocks_file = tmp_path / "readme-blocks.json"
    blocks_file.write_text(json.dumps(blocks), encoding="utf-8")
    work = tmp_path / "cwd"
    work.mkdir()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(README), str(blocks_file)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        f"a README python block failed (exit {proc.returncode}):\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
    assert f"README: {len(blocks)} python blocks ran" in proc.stdout
    assert list(work.iterdir()) == [], "the README's examples wrote files"
