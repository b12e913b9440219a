#!/usr/bin/env python3
"""Process tests of sessions: two at once, a client vanishing mid-output, a session that never
reads, identity from SO_PEERCRED, the socket's permissions, telnet and a console on a pty."""
import os
import pty
import select
import socket
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
ikgt.sweep_stale()
ns = ikgt.Netns("sess")
ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
d = ikgt.Daemon(ns, startup_text="hostname S1\n", extra=["--telnet", "2323"]).start()

# Two sessions configuring at once: every command of both lands.
def configure(first, results):
    cmds = ["configure terminal"]
    for n in range(first, first + 60):
        cmds += [f"interface Loopback{n}", f" ip address 172.20.{n // 250}.{n % 250 + 1} 255.255.255.255"]
    cmds.append("end")
    results.append(d.ikesh(*cmds).returncode)

results = []
threads = [threading.Thread(target=configure, args=(f, results)) for f in (0, 100)]
[t.start() for t in threads]
[t.join() for t in threads]
check(results == [0, 0], f"both sessions' commands accepted {results}")
brief = d.ikesh("show ip interface brief").stdout
check(brief.count("Loopback") == 120, f"120 loopbacks from two concurrent sessions ({brief.count('Loopback')})")

# A client that disconnects mid-output does not take the daemon down.
for _ in range(5):
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.sock)
    s.sendall(b"IKESH 1 interactive 0\nshow running-config\rshow running-config\r")
    s.recv(100)
    s.close()
time.sleep(0.3)
check(d.proc.poll() is None, "daemon alive after clients vanished mid-output")
check(d.ikesh("show privilege").stdout == "Current privilege level is 15\n", "daemon still serves")

# A monitor session that never reads cannot stall the engine.
s = socket.socket(socket.AF_UNIX)
s.connect(d.sock)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"IKESH 1 interactive 0\nterminal monitor\rdebug parser commands\r")
time.sleep(0.3)
t0 = time.time()
for i in range(30):  # every command makes debug lines for the silent monitor
    d.ikesh(*["show privilege"] * 20)
elapsed = time.time() - t0
check(elapsed < 30, f"600 commands with a stalled monitor session took {elapsed:.1f} s")
s.close()
d.ikesh("undebug all")

# terminal monitor gets log lines; ikesh -c exits non-zero on an IOS error.
mon = ikgt.Session(d.sock)
mon.send("terminal monitor\r")
d.ikesh("configure terminal", "hostname S2", "hostname S1", "end")
time.sleep(0.5)
mon.send("\r")
check("%SYS-5-CONFIG_I: Configured from console by root on vty" in mon.screen(),
      "terminal monitor shows %SYS-5-CONFIG_I")
mon.close()
check(d.ikesh("show bogus").returncode == 1, "ikesh exits 1 when a command gets an IOS error")
check(d.ikesh("configure terminal", "hostname S1", "end").returncode == 0, "ikesh exits 0 otherwise")

# The socket is not world-writable.
mode = os.stat(d.sock).st_mode
check(stat.S_ISSOCK(mode) and not mode & stat.S_IWOTH, f"socket mode {oct(mode & 0o777)}")

# SO_PEERCRED: a non-root user starts at privilege 1, or at its `username` privilege.
os.chmod(d.dir, 0o755)
subprocess.run(["chgrp", "nogroup", d.sock], check=True)
r = d.ikesh("show privilege", user="nobody")
check(r.stdout == "Current privilege level is 1\n", f"nobody starts at 1: {r.stdout!r} {r.stderr!r}")
check(d.ikesh("show running-config", user="nobody").returncode == 1, "privilege 1 cannot show running-config")
d.ikesh("configure terminal", "username nobody privilege 15", "end")
r = d.ikesh("show privilege", user="nobody")
check(r.stdout == "Current privilege level is 15\n", f"username nobody privilege 15: {r.stdout!r}")
check(d.ikesh("enable", "show privilege", user="nobody").returncode == 0, "enable at 15 is a no-op")
d.ikesh("configure terminal", "no username nobody", "end")
r = d.ikesh("enable", "show privilege", user="nobody")
check("% No password set" in r.stdout, f"enable without a secret on a vty: {r.stdout!r}")
d.ikesh("configure terminal", "enable secret 0 lab", "end")
r = d.ikesh("enable", "lab", "show privilege", user="nobody")
check(r.stdout.endswith("Current privilege level is 15\n"), f"enable with the secret: {r.stdout!r}")

# Telnet on loopback: negotiation, then an ordinary session at privilege 1.
t = ns.popen(["python3", "-c", """
import socket, time, sys
s = socket.create_connection(("127.0.0.1", 2323))
time.sleep(0.5)
s.sendall(b"\\xff\\xfd\\x01show privilege\\r\\n")
time.sleep(0.5)
s.settimeout(1)
data = b""
try:
    while True:
        x = s.recv(4096)
        if not x: break
        data += x
except socket.timeout:
    pass
sys.stdout.write(repr(data))
"""], stdout=subprocess.PIPE, text=True)
out = t.communicate(timeout=20)[0]
check(out.startswith("b'\\xff\\xfb\\x01\\xff\\xfb\\x03"), f"telnet: WILL ECHO, WILL SGA sent ({out[:40]})")
check("Current privilege level is 1" in out and "S1>" in out, "telnet session at privilege 1")
# ikesh on a terminal (what an SSH ForceCommand user gets): raw mode, the session's echo.
def pty_read(fd, timeout=3.0, until=None):
    """What a terminal program wrote, until `until` shows up or the time is over."""
    buf, end = b"", time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
            if until and until in buf:
                break
    return buf.decode(errors="replace")


pid, fd = pty.fork()
if pid == 0:
    os.execv(ikgt.IKESH, [ikgt.IKESH, "-s", d.sock])
screen = pty_read(fd, timeout=10, until=b"S1#")
os.write(fd, b"sh priv\rexit\r")
screen += pty_read(fd, timeout=5)
_, status = os.waitpid(pid, 0)
text = ikgt.render(screen)
check("S1#sh priv\nCurrent privilege level is 15" in text, f"ikesh on a pty: {text[-80:]!r}")
check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "ikesh exits 0 when the session ends")
d.stop()

# The console on a terminal: prompt, editing, help, Ctrl-Z, exit ends the appliance.
pid, fd = pty.fork()
if pid == 0:
    os.execvp("ip", ns.exec_args([ikgt.IKEGATED, "--console", "--no-syslog", "-f", d.startup,
                                  "-s", os.path.join(d.dir, "con.sock")]))
screen = pty_read(fd, until=b"S1#")
os.write(fd, b"conf t\rint lo5\rip addr 10.5.5.5 255.255.255.255\x1a")
screen += pty_read(fd, until=b"^Z")
os.write(fd, b"show run | i ^interface\r")
screen += pty_read(fd, until=b"Loopback5")
os.write(fd, b"show ver\x08\x08\x08?")
screen += pty_read(fd, until=b"version")
os.write(fd, b"\x15exit\r")
screen += pty_read(fd, timeout=5)
_, status = os.waitpid(pid, 0)
text = ikgt.render(screen)
check("S1(config-if)#" in text and "interface Loopback5" in text, "console: configure and show")
check("S1#show ?" in text or "S1#show ?\n" in text, "console: editing keys and ? work")
check("%SYS-5-CONFIG_I: Configured from console by console" in text, "console receives log lines")
check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "exit on the console stops the appliance")
ikgt.finish()
