"""The repository's packaging promises: one dependency list, a CLI, clean notebooks, a complete book."""

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty
from types import SimpleNamespace

import pytest

import spinlab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
# Notebooks are stored as .ipynb or as MyST markdown (jupytext); both are book chapters.
NOTEBOOK_SUFFIXES = (".ipynb", ".md")


def notebooks():
    """Notebook paths relative to the repo root, without suffix, skipping hidden dirs (checkpoints)."""
    return sorted(
        p.relative_to(ROOT).with_suffix("").as_posix()
        for p in NOTEBOOK_DIR.rglob("*")
        if p.suffix in NOTEBOOK_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
    )


def test_environment_yml_installs_only_the_dev_extra():
    """conda users get exactly what pip users get: pyproject.toml is the single dependency list."""
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"\s*-\s*pip:\s*", line))
    indent = len(lines[start]) - len(lines[start].lstrip())
    pip_items = []
    for line in lines[start + 1:]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(line) - len(line.lstrip()) <= indent:
            break
        pip_items.append(line.strip().removeprefix("-").strip())
    assert pip_items == ['-e ".[dev]"']


def test_module_version_flag_prints_package_version():
    result = subprocess.run([sys.executable, "-m", "spinlab", "--version"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert spinlab.__version__ in result.stdout.split()


def test_notebooks_are_stored_without_outputs():
    """Outputs belong to the book build; stored ones go stale and bloat the history."""
    dirty = []
    for path in sorted(NOTEBOOK_DIR.rglob("*.ipynb")):
        if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
            continue
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(f"{path.name}: cell {i} has outputs or an execution count")
        if "widgets" in nb.get("metadata", {}):
            dirty.append(f"{path.name}: saved widget state in metadata")
    assert not dirty, "\n".join(dirty)


def test_every_notebook_is_in_the_toc_and_vice_versa():
    toc = (ROOT / "_toc.yml").read_text()
    entries = re.findall(r"^\s*-?\s*(?:file|root):\s*['\"]?([^'\"\s#]+)", toc, flags=re.M)
    in_toc = sorted(e.removesuffix(".ipynb").removesuffix(".md") for e in entries
                    if e.startswith("notebooks/"))
    assert in_toc == notebooks()


def test_readme_chapter_table_tells_the_truth():
    """Chapters marked working link to a notebook that exists and is in the book; planned ones have none."""
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    assert rows, "no chapter table in the README"
    working = []
    for row in rows:
        status = row.strip().strip("|").split("|")[-1].strip()
        link = re.search(r"\]\((notebooks/[^)]+)\)", row)
        assert status in ("working", "planned"), row
        if status == "working":
            assert link and (ROOT / link.group(1)).exists(), row
            working.append(Path(link.group(1)).with_suffix("").as_posix())
        else:
            assert not link, f"a planned chapter should not link a notebook: {row}"
    assert sorted(working) == notebooks()


def _book_extension():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        import kernel_messages
    finally:
        sys.path.pop(0)
    return kernel_messages


class _LateWakingSocket:
    """A socket whose message arrives at ``arrival`` but whose poll only notices it when the poll
    times out: the behaviour of jupyter/nbclient#312."""

    def __init__(self, arrival):
        self.arrival = arrival

    async def poll(self, timeout_ms):
        await asyncio.sleep(timeout_ms / 1000)
        return int(time.monotonic() >= self.arrival)

    async def _recv(self):
        return {"msg_type": "execute_reply"}


def test_book_build_reads_a_kernel_message_within_a_slice_of_its_arrival():
    get_msg = _book_extension()._get_msg
    channel = SimpleNamespace(socket=_LateWakingSocket(time.monotonic() + 0.3))
    channel._recv = channel.socket._recv
    start = time.monotonic()
    assert asyncio.run(get_msg(channel, timeout=30))["msg_type"] == "execute_reply"
    assert time.monotonic() - start < 1.0  # not the 30 s timeout
    channel.socket.arrival = time.monotonic() + 60
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(get_msg(channel, timeout=0.5))
    assert 0.5 <= time.monotonic() - start < 1.0
