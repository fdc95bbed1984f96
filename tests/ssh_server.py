"""A real OpenSSH server on 127.0.0.1 with throwaway keys, for the SSH runner's and the lab's tests; the remote
python is the tests' own interpreter, so the remote agent runs the same measurement code on real artifacts."""

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SSHD = "/usr/sbin/sshd"


def missing_openssh() -> str:
    missing = [tool for tool in (SSHD, "ssh", "ssh-keygen") if not shutil.which(tool)]
    return (
        f"OpenSSH not installed here ({', '.join(missing)} missing; apt-get install openssh-server openssh-client)"
        if missing
        else ""
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _wait_for(port: int, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise RuntimeError(f"sshd exited: {server.stderr.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("sshd did not start listening")


def ssh_entry(root: Path, port: int, **fields) -> dict:
    """An inventory entry for the loopback server started under ``root``; ``fields`` override its values."""
    return {
        "kind": "ssh",
        "host": "127.0.0.1",
        "port": port,
        "user": getpass.getuser(),
        "identity_file": root / "user_key",
        "known_hosts": root / "known_hosts",
        "python": sys.executable,
        "pythonpath": ROOT,
        "cache_dir": root / "cache",
        "threads": 1,
        "timeout_s": 120,
        **fields,
    }


def start_sshd(root: Path) -> tuple[subprocess.Popen, int]:
    """Throwaway host and user keys under ``root``, and sshd listening on a free loopback port."""
    host_key, user_key, port = _keygen(root / "host_key"), _keygen(root / "user_key"), free_port()
    (root / "authorized_keys").write_text(user_key + "\n")
    (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key}\n")
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\nPidFile {root / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True) if os.geteuid() == 0 else None
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(root / "sshd_config")], stderr=subprocess.PIPE, text=True)
    _wait_for(port, server)
    return server, port
