"""Fake device tools (adb, xcodebuild, xcrun) for tests: each is a tiny executable on PATH that runs this file,
logs its argv and answers from a list of rules, replaying recorded transcripts of the real tool.

As a library: ``FakeTools(tmp_path, monkeypatch).add("adb", contains="benchmark_model", stdout=TEXT)``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _main_checkout() -> Path:
    """This checkout, or, from a git worktree (whose .git file names ``<main>/.git/worktrees/<name>``), the main one."""
    root = Path(__file__).resolve().parents[1]
    git = root / ".git"
    if git.is_file() and git.read_text().startswith("gitdir:"):
        return Path(git.read_text().split(":", 1)[1].strip()).parents[2]
    return root


# the real tools' recorded output, beside the main checkout (outside the repository: tests skip without it)
TRANSCRIPTS = _main_checkout().parent / "shared" / "transcripts"


class FakeTools:
    def __init__(self, root: Path, monkeypatch) -> None:
        self.root = root
        (root / "bin").mkdir(parents=True, exist_ok=True)
        self.rules: list[dict] = []
        self.quiet_success: set[str] = set()
        monkeypatch.setenv("PATH", f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("MBENCH_FAKE_DIR", str(root))

    def add(
        self,
        tool: str,
        contains: str = "",
        stdout: str = "",
        stderr: str = "",
        rc: int = 0,
        sleep: float = 0,
        times: int | None = None,
        writes: Path | None = None,
    ) -> FakeTools:
        """First matching rule answers; ``contains`` is searched in the argv joined by spaces. A rule with ``times``
        answers only the first ``times`` calls it matches; later ones go on to the next rule. ``writes``: a file
        the tool copies to the path its last argument names (``adb pull REMOTE LOCAL``)."""
        executable = self.root / "bin" / tool
        if not executable.exists():
            executable.write_text(
                f"#!{sys.executable}\nimport runpy\n"
                f"runpy.run_path({__file__!r}, {{'FAKE_TOOL': {tool!r}}}, '__main__')\n"
            )
            executable.chmod(0o755)
        self.rules.append(
            {
                "tool": tool,
                "contains": contains,
                "stdout": stdout,
                "stderr": stderr,
                "rc": rc,
                "sleep": sleep,
                "times": times,
                "writes": str(writes) if writes else "",
            }
        )
        self._save()
        return self

    def otherwise_succeed(self, tool: str) -> FakeTools:
        """Calls no rule matches (push, mkdir, rm...) succeed silently instead of failing."""
        self.quiet_success.add(tool)
        self._save()
        return self

    def _save(self) -> None:
        (self.root / "rules.json").write_text(json.dumps({"rules": self.rules, "ok": sorted(self.quiet_success)}))

    def calls(self, tool: str | None = None) -> list[list[str]]:
        log = self.root / "calls.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [call[2:] for call in map(json.loads, lines) if tool is None or call[0] == tool]

    def cwds(self, tool: str) -> list[str]:
        log = self.root / "calls.jsonl"
        return [call[1] for call in map(json.loads, log.read_text().splitlines()) if call[0] == tool]


def _replay() -> int:
    root = Path(os.environ["MBENCH_FAKE_DIR"])
    tool, argv = globals()["FAKE_TOOL"], sys.argv[1:]
    with open(root / "calls.jsonl", "a") as log:
        log.write(json.dumps([tool, os.getcwd(), *argv]) + "\n")
    joined = " ".join(argv)
    config = json.loads((root / "rules.json").read_text())
    earlier = [
        " ".join(call[2:])
        for call in map(json.loads, (root / "calls.jsonl").read_text().splitlines())
        if call[0] == tool
    ]  # this call included
    for rule in config["rules"]:
        if rule.get("times") is not None and sum(rule["contains"] in c for c in earlier) > rule["times"]:
            continue
        if rule["tool"] == tool and rule["contains"] in joined:
            time.sleep(rule["sleep"])
            if rule.get("writes"):
                Path(argv[-1]).write_bytes(Path(rule["writes"]).read_bytes())
            sys.stdout.write(rule["stdout"])
            sys.stderr.write(rule["stderr"])
            return rule["rc"]
    if tool in config["ok"]:
        return 0
    sys.stderr.write(f"fake {tool}: no rule for {joined}\n")
    return 1


if __name__ == "__main__":
    sys.exit(_replay())
