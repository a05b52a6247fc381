"""Daemon processes: start detached, remember the pid, find out whether it is
still ours, measure its memory and stop it.

A pid file alone is not proof: after a crash or reboot the pid may belong to
someone else. Every daemon the lake starts carries a marker in its command
line (``lake.service=<name>``) and the pid only counts if the marker matches.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def marker(service: str) -> str:
    return f"lake.service={service}"


@dataclass
class Daemon:
    name: str
    run_dir: Path
    log_file: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    def read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def pid(self) -> int | None:
        """The live pid of this daemon, or None (stale pid files are removed)."""
        pid = self.read_pid()
        if pid is None:
            return None
        if is_ours(pid, self.name):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: list[str], env: dict[str, str], cwd: Path | None = None,
              user: str | None = None) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file.with_suffix(".out"), "ab")
        out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}: {' '.join(argv)}\n".encode())
        out.flush()
        # A new session detaches the daemon from the terminal and from `make`,
        # so Ctrl-C on the launcher does not kill the stack.
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, user=user)
        out.close()
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, wait, then SIGKILL. Returns True if a process was stopped."""
        pid = self.pid()
        if pid is None:
            return False
        _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                break
            time.sleep(0.2)
        else:
            _signal(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # A zombie has exited; only its parent has not collected it yet.
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def is_ours(pid: int, service: str) -> bool:
    if not pid_alive(pid):
        return False
    line = cmdline(pid)
    for _ in range(10):
        # A process in the middle of execve (spark-submit execs twice on its way to the JVM)
        # shows an empty cmdline for a moment: read again rather than call a live daemon gone.
        if line or not pid_alive(pid):
            break
        time.sleep(0.02)
        line = cmdline(pid)
    return marker(service) in line


def rss_mb(pid: int) -> float | None:
    """Memory of pid and all its descendants, in MiB.

    Proportional set size (Pss) where the kernel offers it: PostgreSQL's
    backends share one buffer pool, and summing their RSS would count it once
    per backend. Falls back to VmRSS."""
    total_kb = 0
    for p in [pid, *descendants(pid)]:
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            total_kb += next(int(ln.split()[1]) for ln in rollup.splitlines() if ln.startswith("Pss:"))
            continue
        except (FileNotFoundError, ProcessLookupError, PermissionError, StopIteration):
            pass
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total_kb / 1024 if total_kb else None


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def listener_pid(port: int) -> int | None:
    """Which process listens on a TCP port (from /proc/net/tcp), if we can tell."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            parts = line.split()
            local, state = parts[1], parts[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inode = parts[9]
                break
        if inode:
            break
    if not inode:
        return None
    target = f"socket:[{inode}]"
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            for fd in (d / "fd").iterdir():
                if os.readlink(fd) == target:
                    return int(d.name)
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return None


def tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])
