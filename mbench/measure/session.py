"""The conversation with one warm agent process (agent.py): JSON commands in, JSON replies out, a reply that says
why where none came (the agent exited or went silent), and the process killed when it is no longer needed."""

from __future__ import annotations

import json
import select
import subprocess
import tempfile

from mbench.measure.processes import connect_attempts, dropped_by_sshd, guarded, tail


class AgentSession:
    """One warm agent process, spoken to in JSON lines (measure/agent.py); it dies with this process."""

    def __init__(self, argv: list[str], timeout_s: float) -> None:
        self.argv, self.timeout_s = argv, timeout_s
        self.process: subprocess.Popen | None = None  # started by the first command

    def first(self, **command) -> dict:
        """The agent started and its reply to its first command. An agent whose ssh connection sshd dropped never
        ran (processes.dropped_by_sshd); it is started again (processes.connect_attempts)."""
        for last in connect_attempts():
            self.log = tempfile.TemporaryFile(mode="w+")
            self.process = subprocess.Popen(
                guarded(self.argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1
            )
            reply = self.ask(**command)
            if last or reply.get("ok") or not dropped_by_sshd(self.process.returncode, reply.get("error", "")):
                return reply
            self.stop()
        raise AssertionError("unreachable: the last attempt returns")

    def ask(self, **command) -> dict:
        """The agent's reply, or a failed reply saying why none came (exit, timeout)."""
        process = self.process
        assert process is not None and process.stdin and process.stdout, "first() starts the agent with pipes"
        try:
            process.stdin.write(json.dumps(command) + "\n")
            process.stdin.flush()
            ready = bool(select.select([process.stdout], [], [], self.timeout_s)[0])
            line = process.stdout.readline() if ready else ""
        except (BrokenPipeError, OSError):
            line, ready = "", True
        if line:
            return json.loads(line)
        if not ready:
            process.kill()
            return {
                "ok": False,
                "status": "failed",
                "error": f"agent gave no answer to {command['do']!r} within {self.timeout_s:.0f} s",
            }
        code = process.wait(timeout=10)
        self.log.seek(0)
        return {"ok": False, "status": "failed", "error": f"agent exited {code}: {tail(self.log.read())}"}

    def stop(self) -> None:
        """The agent killed: after its 'close' reply nothing is left to wait for, and an interpreter that imported
        torch takes 0.5 s to tear down, on the CPUs the next burst uses."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        self.log.close()
