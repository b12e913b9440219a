"""Shared harness for ikegate's process, transcript and lab tests.

Every test makes its own network namespaces, named ikgt-<tag>-<pid> so that `ctest -j` is
safe, and removes them and every process it started when it ends, even on failure or
SIGTERM. A test killed with SIGKILL cannot clean up; the next test run sweeps namespaces whose
owning pid is gone (sweep_stale). Children also get PR_SET_PDEATHSIG so they die with the test.
Nothing here reads stdin.
"""
import atexit
import ctypes
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77  # ctest SKIP_RETURN_CODE
IKEGATED = os.environ.get("IKEGATED", "build/asan/ikegated")
IKESH = os.environ.get("IKESH", "build/asan/ikesh")

_libc = ctypes.CDLL(None, use_errno=True)
_cleanups = []


def _pdeathsig():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def require_root_netns():
    if os.geteuid() != 0:
        skip("needs root to create network namespaces")
    if not shutil.which("ip"):
        skip("iproute2 (ip) is not installed")


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def sweep_stale():
    """Remove namespaces left by test runs that were SIGKILLed."""
    out = run(["ip", "netns", "list"], check=False).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(r"ikgt-.*-(\d+)$", name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            _kill_ns_pids(name)
            run(["ip", "netns", "del", name], check=False)


def _kill_ns_pids(name):
    pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
    for p in pids:
        try:
            os.kill(int(p), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def _cleanup_all():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print(f"cleanup: {e}", file=sys.stderr)


def _on_signal(signo, frame):
    _cleanup_all()
    sys.exit(128 + signo)


atexit.register(_cleanup_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class Netns:
    """A named network namespace with loopback up; removed at exit."""

    def __init__(self, tag):
        self.name = f"ikgt-{tag}-{os.getpid()}"
        run(["ip", "netns", "add", self.name])
        _cleanups.append(self.remove)
        self.ip("link", "set", "lo", "up")

    def ip(self, *args, check=True):
        return run(["ip", "-n", self.name, *args], check=check)

    def exec_args(self, argv):
        return ["ip", "netns", "exec", self.name, *argv]

    def popen(self, argv, **kw):
        return subprocess.Popen(self.exec_args(argv), preexec_fn=_pdeathsig, **kw)

    def remove(self):
        _kill_ns_pids(self.name)
        run(["ip", "netns", "del", self.name], check=False)


class Lan(Netns):
    """A namespace holding the bridge br0: the LAN that the test's hosts plug into."""

    def __init__(self, tag):
        super().__init__(tag)
        self.ip("link", "add", "br0", "type", "bridge")
        self.ip("link", "set", "br0", "up")
        self.ports = 0

    def attach(self, ns, ifname="eth0"):
        """A veth from ns (named ifname there) to a new port of br0."""
        self.ports += 1
        port = f"p{self.ports}"
        run(["ip", "link", "add", ifname, "netns", ns.name, "type", "veth", "peer", "name", port,
             "netns", self.name])
        self.ip("link", "set", port, "master", "br0")
        self.ip("link", "set", port, "up")


class Daemon:
    """An ikegated in a namespace, with its own socket and startup-config paths."""

    def __init__(self, ns, startup_text=None, startup_path=None, extra=(), tag="gw"):
        self.ns = ns
        self.dir = tempfile.mkdtemp(prefix=f"ikgt-{tag}-")
        _cleanups.append(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.sock = os.path.join(self.dir, "cli.sock")
        self.startup = startup_path or os.path.join(self.dir, "startup-config")
        if startup_text is not None:
            with open(self.startup, "w") as f:
                f.write(startup_text)
        self.log = os.path.join(self.dir, "ikegated.log")
        self.extra = list(extra)
        self.proc = None

    def start(self, wait=True):
        self.logf = open(self.log, "ab")
        self.proc = self.ns.popen(
            [IKEGATED, "-f", self.startup, "-s", self.sock, "--no-syslog", *self.extra],
            stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf)
        _cleanups.append(self.kill)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ikegated exited with {self.proc.returncode}:\n{self.logtext()}")
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("ikegated did not open its socket")

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("ikegated did not exit on SIGTERM")
        return self.proc.returncode if self.proc else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def ikesh(self, *cmds, check=False, user=None):
        argv = [IKESH, "-s", self.sock]
        for c in cmds:
            argv += ["-c", c]
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        r = run(argv, check=False)
        if check and r.returncode:
            raise RuntimeError(f"ikesh {cmds} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r


def render(data):
    """Turn terminal output (with \\b, \\r, \\r\\n) into the text a screen would show."""
    lines, row, col = [[]], 0, 0
    for ch in data:
        if ch == "\n":
            row += 1
            col = 0
            if row == len(lines):
                lines.append([])
        elif ch == "\r":
            col = 0
        elif ch == "\b":
            col = max(0, col - 1)
        elif ch == "\x07":
            continue
        else:
            ln = lines[row]
            while len(ln) < col:
                ln.append(" ")
            if col < len(ln):
                ln[col] = ch
            else:
                ln.append(ch)
            col += 1
    return "\n".join("".join(l).rstrip() for l in lines)


PROMPT = re.compile(r"(^|\n)[A-Za-z][\w.-]*(\([\w-]+\))?[>#][^\n]*$|Password: ?$| --More--$")


class Session:
    """An interactive IOS session over the Unix socket (what ikesh does on a terminal)."""

    def __init__(self, sock, rows=0):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(sock)
        self.s.sendall(f"IKESH 1 interactive {rows}\n".encode())
        self.raw = ""
        self.read_until_prompt()

    def read_until_prompt(self, quiet=0.08, timeout=5.0):
        got, end = "", time.time() + timeout
        last = time.time()
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], 0.02)
            if r:
                d = self.s.recv(65536)
                if not d:
                    break
                got += d.decode(errors="replace")
                last = time.time()
                continue
            if got and time.time() - last >= quiet and PROMPT.search(render(self.raw + got)):
                break
        self.raw += got
        return got

    def send(self, keys, wait=True):
        self.s.sendall(keys.encode() if isinstance(keys, str) else keys)
        return self.read_until_prompt() if wait else ""

    def screen(self):
        return render(self.raw)

    def close(self):
        self.s.close()


def normalise(text):
    """Mask what legitimately changes between runs: clock stamps, uptime, byte counts."""
    text = re.sub(r"\*\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}", "*TIMESTAMP", text)
    text = re.sub(r"uptime is [^\n]*", "uptime is UPTIME", text)
    # The readiness probe is a session too: the next one may get vty0 or vty1.
    text = re.sub(r"\bon vty\d+", "on vtyN", text)
    return text


_passed = []
_failed = []


def check(cond, what):
    """Record one assertion; the test goes on so that one run shows every failure."""
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    (_passed if cond else _failed).append(what)
    return cond


def finish():
    print(f"{len(_passed)} passed, {len(_failed)} failed")
    sys.exit(1 if _failed else 0)
