#!/usr/bin/env python3
"""The layering of the house (docs/architecture.md), checked on every #include "...":

    appliance/  the composition root        may include anything
    cli/        the IOS shell and commands  -> cli/, ikecfg/, the engines' public headers, platform/
    ikecfg/     the IOS configuration model -> ikecfg/, ike/'s public headers, platform/
    hsrp/ clb/ ike/ ipsec-xfrm/  engines    -> themselves and platform/, never each other
    platform/   the ground floor            -> platform/ only

An engine's private headers (ike_internal.h, xfrm_priv.h: *_internal.h, *_priv.h) are for
its own files. A codec (*_wire.c, *_packet.c, ike_crypto.c) includes its own header, other
codec headers of its folder and platform/ only: no sockets, no time, no engine state.

Prints each offending line (file:line: the include, and the rule) and exits 1; 0 when clean.
Run by scripts/test.sh (make test)."""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ENGINES = ("hsrp", "clb", "ike", "ipsec-xfrm")
FOLDERS = ("appliance", "cli", "ikecfg", *ENGINES, "platform")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
CODEC = re.compile(r"(_wire|_packet)\.c$|^ike_crypto\.c$")
CODEC_HEADERS = re.compile(r"(_wire|_packet)\.h$|^ike_crypto\.h$")


def private(header):
    return re.search(r"_(internal|priv)\.h$", header) is not None


def rule(folder, fname, target):
    """None when folder/fname may include target (a path like "ike/ike.h"), else why not."""
    tdir = target.split("/")[0] if "/" in target else folder
    tname = target.split("/")[-1]
    if tdir not in FOLDERS:
        return None  # generated headers (version.h) and the like
    if tdir != folder and private(tname):
        return f"{tname} is private to {tdir}/"
    if CODEC.search(fname) and folder in ENGINES:
        stem = fname[:-2]
        if tdir == "platform" or (tdir == folder and (tname == stem + ".h" or
                                                      CODEC_HEADERS.search(tname))):
            return None
        return "a codec includes only its own header, its folder's codec headers and platform/"
    if folder == "appliance":
        return None
    if folder == "platform":
        return None if tdir == "platform" else "platform/ includes nothing above it"
    if folder in ENGINES:
        return None if tdir in (folder, "platform") else \
            f"engines never include each other or what is above them ({folder}/ -> {tdir}/)"
    if folder == "ikecfg":
        return None if tdir in ("ikecfg", "ike", "platform") else \
            f"the configuration model includes only itself, ike/ and platform/ (-> {tdir}/)"
    if folder == "cli":
        return None if tdir != "appliance" else "the shell never includes the composition root"
    return None


def main():
    bad = 0
    for folder in FOLDERS:
        d = os.path.join(ROOT, folder)
        if not os.path.isdir(d):
            continue
        for fname in sorted(os.listdir(d)):
            if not fname.endswith((".c", ".h")):
                continue
            path = os.path.join(d, fname)
            with open(path, errors="replace") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    why = rule(folder, fname, m.group(1))
                    if why:
                        print(f"{folder}/{fname}:{n}: {line.strip()}  ({why})")
                        bad += 1
    if bad:
        print(f"check-layers: {bad} include(s) cross a forbidden line", file=sys.stderr)
        return 1
    print("check-layers: every include keeps to its layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
