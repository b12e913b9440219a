#!/usr/bin/env python3
"""Replay a CLI transcript against a real ikegated and compare the screen with a golden file.

  run_transcript.py NAME.in     keystrokes, one step a line (see below)
                    NAME.out    the expected screen (UPDATE=1 writes it)
                    NAME.startup  optional startup-config for the daemon

Steps: a line is typed and sent with CR. A line ending in <?> or <TAB> is typed and that key
is pressed, without CR. <^U>, <^Z>, <^C>, <SP> (space), <Q> and <CR> alone send that key. Lines starting with
'#' are comments. The daemon runs in its own namespace with GigabitEthernet1 and 2 (a veth).
"""
import difflib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

KEYS = {"<^U>": "\x15", "<^Z>": "\x1a", "<^C>": "\x03", "<SP>": " ", "<Q>": "q", "<CR>": "\r"}


def main():
    src = sys.argv[1]
    base = src[:-3] if src.endswith(".in") else src
    ikgt.require_root_netns()
    ikgt.sweep_stale()
    ns = ikgt.Netns("cli-" + os.path.basename(base)[:12])
    ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
    startup = open(base + ".startup").read() if os.path.exists(base + ".startup") else ""
    d = ikgt.Daemon(ns, startup_text=startup).start()
    s = ikgt.Session(d.sock)
    for line in open(src).read().splitlines():
        if line.startswith("#"):
            continue
        if line in KEYS:
            s.send(KEYS[line])
        elif line.endswith("<?>"):
            s.send(line[:-3] + "?")
        elif line.endswith("<TAB>"):
            s.send(line[:-5] + "\t")
        else:
            s.send(line + "\r")
    s.close()
    got = ikgt.normalise(s.screen()).rstrip() + "\n"
    if d.stop() not in (0, None):
        print(d.logtext())
        print("FAIL: ikegated did not exit cleanly")
        return 1
    if "runtime error" in d.logtext() or "ERROR: AddressSanitizer" in d.logtext():
        print(d.logtext())
        print("FAIL: sanitizer report")
        return 1
    if os.environ.get("UPDATE"):
        open(base + ".out", "w").write(got)
        print(f"wrote {base}.out")
        return 0
    want = open(base + ".out").read()
    if got != want:
        sys.stdout.writelines(difflib.unified_diff(
            want.splitlines(True), got.splitlines(True), base + ".out", "actual"))
        print("FAIL: transcript differs")
        return 1
    print(f"ok: {os.path.basename(base)} ({len(want.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
