"""The host itself: each artifact is measured by the agent in a fresh Python process."""
from __future__ import annotations

import subprocess
import sys

from mbench.artifacts import Artifact
from mbench.devices.agent import AgentResult, plan_arguments
from mbench.measure import RunPlan


def run_agent(artifact: Artifact, plan: RunPlan, threads: int, timeout_s: float) -> AgentResult:
    command = [sys.executable, "-m", "mbench.devices.agent", str(artifact.manifest_path), *plan_arguments(plan, threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return AgentResult("failed", error=f"timed out after {timeout_s:.0f} s", threads=threads)
    try:
        return AgentResult.from_output(done.stdout)
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return AgentResult("failed", error=f"agent exited {done.returncode}: " + " | ".join(tail), threads=threads)
