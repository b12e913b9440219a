"""Real IKEv2 peers for the lab tests: strongSwan's charon, libreswan's pluto, and a test PKI.

Everything here runs inside the namespaces of test/lib/ikgt.py and is removed when the test
ends (the same cleanup list, so also on failure and SIGTERM).

strongSwan (Debian's 5.9.8). Several charons share one host, so each one gets, in the private
mount namespace that `ip netns exec` gives it:
  /run                  <- DIR/run   (the pid file /run/charon.pid is compiled in; the VICI
                                      socket, the log and the updown hook live there too)
  /etc/strongswan.conf  <- DIR/run/charon.conf
  /etc/swanctl          <- DIR/swanctl (swanctl.conf, x509ca/, x509/, private/, ...)
so that charon and swanctl run with their compiled-in default paths. That is also what
Debian's AppArmor profiles for charon and swanctl allow (/run/charon.*, /etc/swanctl/**), so
the lab works on a machine where those profiles are enforced. swanctl runs in the same mount
namespace (nsenter); the mounts vanish with the namespace when charon exits.

On this host the kernel has XFRM but no ESP, so a charon here loads kernel-libipsec (ESP in
user space over a TUN device) before kernel-netlink; libipsec forces UDP encapsulation, so the
peer sees a NAT and moves to port 4500. In the VM (test/vm/run-in-vm.sh) charon uses the
kernel's ESP through kernel-netlink alone.

A charon normally loads an explicit, small plugin list. Charon(stock=True) instead runs with
Debian's own /etc/strongswan.conf (`load_modular = yes`) over a private copy of
/etc/strongswan.d mounted on /etc/strongswan.d, so it loads every plugin Debian enables and
proposes what a default installation proposes; the one change is kernel-libipsec's priority
(see _write_stock_conf). Its `resolve` plugin writes to a private /etc/resolv.conf.

libreswan (4.10) conflicts with the strongSwan packages, so its pluto runs out of a private
root unpacked by scripts/fetch-libreswan.sh, with that root's /usr/libexec bind-mounted over
the real one (pluto runs /usr/libexec/ipsec/addconn by that path), a private /run and a
private /etc/resolv.conf (its updown script rewrites it for a mode-config client).
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import ikgt

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("SRCDIR", os.path.normpath(os.path.join(HERE, "..", "..")))

# Paths as charon and swanctl see them inside their mount namespace.
VICI_URI = "unix:///run/charon.vici"
UPDOWN = "/run/charon.updown"  # put `updown = peers.UPDOWN` in a child to record its events

# The smallest plugin set for PSK, RSA and ECDSA certificates, x25519/ECP/MODP, AES-GCM and
# AES-CBC with HMAC, virtual IPs and configuration attributes. openssl does the cryptography;
# an explicit list also stops charon probing every installed plugin (af-alg alone takes ~45 s
# under emulation in the VM). `updown` with dns_handler hands received DNS servers to our
# hook instead of rewriting /etc/resolv.conf, which `resolve` would do.
PLUGINS = ("random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints kdf "
           "{kernel} socket-default vici updown")
SWANCTL_PLUGINS = "pem pkcs1 pkcs8 x509 pubkey openssl random"

# Debian's own strongswan.conf and its include directory (Charon(stock=True)).
STOCK_CONF = "/etc/strongswan.conf"
STOCK_DIR = "/etc/strongswan.d"

# The log the tests read (/run is private to each charon), and no syslog.
_FILELOG = """    filelog {
        lab {
            path = /run/charon.log
            time_format = %H:%M:%S
            time_add_ms = yes
            ike_name = yes
            append = no
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
            knl = 2
            chd = 2
        }
    }
    syslog {
        daemon {
            default = -1
        }
        auth {
            default = -1
        }
    }"""


def _keep():
    """IKGT_KEEP=1 keeps the instance directories (logs, configs) after the test."""
    return os.environ.get("IKGT_KEEP") == "1"


def tmpdir(prefix):
    """A directory removed when the test ends (kept with IKGT_KEEP=1)."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)

    def rm():
        if _keep():
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)
    ikgt._cleanups.append(rm)
    return d


_STALE_DIR = re.compile(r"^ikgt-(?:charon|pluto|pki|vm)-(?:.+-)?(\d+)-[A-Za-z0-9_]+$")


def sweep_stale():
    """ikgt.sweep_stale() (namespaces), and the instance directories that tests killed with
    SIGKILL left in the temporary directory (their pid is in the name)."""
    ikgt.sweep_stale()
    base = tempfile.gettempdir()
    for entry in os.listdir(base):
        m = _STALE_DIR.match(entry)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists(f"/proc/{m.group(1)}"):
            shutil.rmtree(os.path.join(base, entry), ignore_errors=True)


def _stop_pid(proc, term_wait=5.0):
    """SIGTERM, then SIGKILL after term_wait seconds; reaps the process."""
    if proc is None:
        return None
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(term_wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({e})"


def kernel_has_esp(ns):
    """Whether this kernel can hold an ESP SA (AES-GCM): this host's cannot (XFRM without
    ESP: adding the SA fails with ENOSYS), the VM's can. Probed in ns, and cleaned up."""
    sa = ["src", "192.0.2.254", "dst", "192.0.2.253", "proto", "esp", "spi", "0x4a11"]
    r = ns.ip("xfrm", "state", "add", *sa, "mode", "tunnel", "aead", "rfc4106(gcm(aes))",
              "0x" + "11" * 20, "128", check=False)
    if r.returncode == 0:
        ns.ip("xfrm", "state", "delete", *sa, check=False)
    return r.returncode == 0


# --------------------------------------------------------------------------------- VICI client
class ViciError(Exception):
    pass


class Vici:
    """A small client of strongSwan's VICI protocol (the plugin's README describes it).

    A packet is a 32-bit big-endian length and a payload whose first byte is the packet type;
    the named types carry a one-byte name length and the name; then comes a message: a
    sequence of elements (section start/end, key=value, list start/item/end), each name
    prefixed by one length byte and each value by two. We speak it ourselves rather than
    parse swanctl's text, whose --raw output does not quote values that contain spaces
    (a DN identity, for one)."""

    CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
    EVENT_REGISTER, EVENT_UNREGISTER, EVENT_CONFIRM, EVENT_UNKNOWN, EVENT = 3, 4, 5, 6, 7
    SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6

    def __init__(self, path, timeout=15.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def _name(n):
        b = n.encode()
        if len(b) > 255:
            raise ValueError(f"VICI name too long: {n!r}")
        return bytes([len(b)]) + b

    @staticmethod
    def _value(v):
        b = v if isinstance(v, bytes) else str(v).encode()
        if len(b) > 65535:
            raise ValueError("VICI value too long")
        return struct.pack(">H", len(b)) + b

    @classmethod
    def encode(cls, msg):
        out = bytearray()
        for k, v in msg.items():
            if isinstance(v, dict):
                out += bytes([cls.SECTION_START]) + cls._name(k) + cls.encode(v)
                out.append(cls.SECTION_END)
            elif isinstance(v, (list, tuple)):
                out += bytes([cls.LIST_START]) + cls._name(k)
                for item in v:
                    out += bytes([cls.LIST_ITEM]) + cls._value(item)
                out.append(cls.LIST_END)
            else:
                out += bytes([cls.KEY_VALUE]) + cls._name(k) + cls._value(v)
        return bytes(out)

    @classmethod
    def decode(cls, data):
        """Message bytes -> nested dicts; values are str, lists are lists of str."""
        root = {}
        stack = [root]
        cur_list = None
        pos = 0

        def take(n):
            nonlocal pos
            if pos + n > len(data):
                raise ViciError("truncated VICI message")
            b = data[pos:pos + n]
            pos += n
            return b

        def name():
            return take(take(1)[0]).decode(errors="replace")

        def value():
            return take(struct.unpack(">H", take(2))[0]).decode(errors="replace")

        while pos < len(data):
            t = take(1)[0]
            if t == cls.SECTION_START:
                sec = {}
                stack[-1][name()] = sec
                stack.append(sec)
            elif t == cls.SECTION_END:
                if len(stack) == 1:
                    raise ViciError("unbalanced VICI section end")
                stack.pop()
            elif t == cls.KEY_VALUE:
                k = name()
                stack[-1][k] = value()
            elif t == cls.LIST_START:
                cur_list = []
                stack[-1][name()] = cur_list
            elif t == cls.LIST_ITEM:
                if cur_list is None:
                    raise ViciError("VICI list item outside a list")
                cur_list.append(value())
            elif t == cls.LIST_END:
                cur_list = None
            else:
                raise ViciError(f"unknown VICI element type {t}")
        return root

    def _send(self, ptype, name=None, body=b""):
        payload = bytes([ptype]) + (self._name(name) if name is not None else b"") + body
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ViciError("VICI connection closed")
            buf += chunk
        return bytes(buf)

    def _recv(self):
        (length,) = struct.unpack(">I", self._recv_exact(4))
        payload = self._recv_exact(length)
        if not payload:
            raise ViciError("empty VICI packet")
        ptype, pos, name = payload[0], 1, None
        if ptype in (self.EVENT_REGISTER, self.EVENT_UNREGISTER, self.EVENT, self.CMD_REQUEST):
            n = payload[1]
            name = payload[2:2 + n].decode(errors="replace")
            pos = 2 + n
        return ptype, name, payload[pos:]

    def request(self, cmd, msg=None):
        self._send(self.CMD_REQUEST, cmd, self.encode(msg or {}))
        ptype, _, body = self._recv()
        if ptype == self.CMD_UNKNOWN:
            raise ViciError(f"charon does not know the VICI command {cmd!r}")
        if ptype != self.CMD_RESPONSE:
            raise ViciError(f"unexpected VICI packet type {ptype}")
        return self.decode(body)

    def streamed(self, cmd, event, msg=None):
        """A command that answers with events before its response (list-sas, list-conns...)."""
        self._send(self.EVENT_REGISTER, event)
        ptype, _, _ = self._recv()
        if ptype != self.EVENT_CONFIRM:
            raise ViciError(f"cannot register for VICI event {event!r}")
        self._send(self.CMD_REQUEST, cmd, self.encode(msg or {}))
        events = []
        while True:
            ptype, name, body = self._recv()
            if ptype == self.EVENT and name == event:
                events.append(self.decode(body))
            elif ptype == self.CMD_RESPONSE:
                response = self.decode(body)
                break
            elif ptype == self.CMD_UNKNOWN:
                raise ViciError(f"charon does not know the VICI command {cmd!r}")
            # other events (none registered) are ignored
        self._send(self.EVENT_UNREGISTER, event)
        while self._recv()[0] != self.EVENT_CONFIRM:
            pass
        return events, response


# ------------------------------------------------------------------------------------ charon
class Charon:
    """strongSwan's charon in a namespace, driven with swanctl and VICI.

    conf_swanctl is the text of swanctl.conf (connections, pools, secrets). libipsec=True
    loads kernel-libipsec before kernel-netlink (needed on this host: no kernel ESP); False
    uses the kernel's ESP (the VM). extra_charon_conf is inserted at the end of the `charon {}`
    section of strongswan.conf, where it overrides our defaults. stock=True: Debian's plugin
    set and settings instead of ours (charon's own retransmission timers among them).
    Usage: c = Charon(ns, "gw", text).start(); c.load_all(); c.initiate("child")."""

    def __init__(self, ns, name, conf_swanctl, libipsec=True, extra_charon_conf="",
                 stock=False):
        if not os.access(CHARON, os.X_OK) or not shutil.which("swanctl"):
            ikgt.skip("strongSwan is not installed (strongswan-charon, strongswan-swanctl)")
        if stock and not os.path.isfile(STOCK_CONF):
            ikgt.skip(f"{STOCK_CONF} is missing: Debian's stock strongSwan configuration")
        self.ns = ns
        self.name = name
        self.libipsec = libipsec
        self.stock = stock
        self.dir = tmpdir(f"ikgt-charon-{name}-{os.getpid()}-")
        self.rundir = os.path.join(self.dir, "run")
        self.swanctl_dir = os.path.join(self.dir, "swanctl")
        self.stock_dir = os.path.join(self.dir, "strongswan.d")
        for sub in ("x509ca", "x509", "private", "rsa", "ecdsa", "pkcs8", "pkcs12", "x509crl",
                    "x509ocsp", "x509aa", "x509ac", "pubkey", "bliss", "conf.d"):
            os.makedirs(os.path.join(self.swanctl_dir, sub), exist_ok=True)
        os.makedirs(self.rundir)
        self.vici_path = os.path.join(self.rundir, "charon.vici")
        self.log = os.path.join(self.rundir, "charon.log")
        self.updown_log = os.path.join(self.rundir, "charon.updown.log")
        self.stdout = os.path.join(self.dir, "charon.stdout")
        self.resolv = os.path.join(self.dir, "resolv.conf")
        self.proc = None
        self.write_swanctl(conf_swanctl)
        if stock:
            self._write_stock_conf(extra_charon_conf)
        else:
            self._write_strongswan_conf(extra_charon_conf)
        self._write_updown()

    # -- configuration files
    def write_swanctl(self, text):
        with open(os.path.join(self.swanctl_dir, "swanctl.conf"), "w") as f:
            f.write(text)

    def _write_strongswan_conf(self, extra):
        kernel = "kernel-libipsec kernel-netlink" if self.libipsec else "kernel-netlink"
        text = f"""# strongswan.conf of the lab charon "{self.name}" (written by test/lib/peers.py)
charon {{
    load = {PLUGINS.format(kernel=kernel)}
    install_routes = yes
    install_virtual_ip = yes
    # fail fast: 4 transmissions over ~7 s instead of 6 over ~165 s
    retransmit_timeout = 1.0
    retransmit_base = 1.4
    retransmit_tries = 3
{_FILELOG}
    plugins {{
        vici {{
            socket = {VICI_URI}
        }}
        updown {{
            # DNS servers from a configuration payload go to the updown hook as
            # PLUTO_DNS4_n (the test reads them there), not into /etc/resolv.conf.
            dns_handler = yes
        }}
    }}
{extra}
}}
swanctl {{
    load = {SWANCTL_PLUGINS}
    socket = {VICI_URI}
}}
"""
        with open(os.path.join(self.rundir, "charon.conf"), "w") as f:
            f.write(text)

    def _write_stock_conf(self, extra):
        """Debian's own configuration: /etc/strongswan.conf as shipped (`load_modular = yes`,
        the includes of strongswan.d/*.conf and strongswan.d/charon/*.conf) over a private copy
        of /etc/strongswan.d, mounted on /etc/strongswan.d in charon's mount namespace, so the
        plugins loaded are exactly the ones Debian's packages enable. One change when libipsec:
        kernel-libipsec.conf's `load = no` becomes `load = 2`. A number there raises the
        plugin's priority (strongswan.conf(5)) above the plain `yes` of the others, so libipsec
        loads first and registers its kernel-ipsec interface before kernel-netlink does:
        charon uses the first one registered (plugins_loaded() shows the order). Appended to
        the stock file, outside the plugin set: a file log the test reads, no syslog, and
        `extra` (at the end of a `charon {}` section)."""
        shutil.copytree(STOCK_DIR, self.stock_dir, symlinks=True)
        if self.libipsec:
            path = os.path.join(self.stock_dir, "charon", "kernel-libipsec.conf")
            with open(path) as f:
                text = f.read()
            text, n = re.subn(r"(?m)^(\s*)load\s*=\s*no\s*$", r"\1load = 2", text)
            if n != 1:
                raise RuntimeError(f"{path}: no `load = no` line to raise")
            with open(path, "w") as f:
                f.write(text)
        with open(STOCK_CONF) as f:
            stock = f.read()
        text = (f"{stock}\n# --- appended by test/lib/peers.py for the lab charon "
                f"\"{self.name}\": logging only, the plugin set above is Debian's\n"
                f"charon {{\n{_FILELOG}\n{extra}\n}}\n")
        with open(os.path.join(self.rundir, "charon.conf"), "w") as f:
            f.write(text)

    def plugins_loaded(self):
        """The plugins charon says it loaded (its `loaded plugins:` log line), in load order."""
        m = re.search(r"loaded plugins: (.*)", self.log_text())
        return m.group(1).split() if m else []

    def _write_updown(self):
        # charon runs the hook with PLUTO_* variables describing the CHILD_SA event; we keep
        # them, one block per event, for updown_events().
        path = os.path.join(self.rundir, "charon.updown")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n"
                    "# updown hook of a lab charon: record every event's PLUTO_* variables\n"
                    "{ echo '--- event'; env | grep '^PLUTO_' | sort; } >> /run/charon.updown.log\n")
        os.chmod(path, 0o755)

    # -- credentials
    def install(self, entity, with_ca=True):
        """Copy a make_pki() entity's certificate and key (and its CA) into swanctl's dirs:
        x509/NAME.crt, private/NAME.key (and x509ca/ca-KIND.crt); load_all() loads them, and
        a connection names the certificate as `certs = NAME.crt`."""
        shutil.copy(entity.crt, os.path.join(self.swanctl_dir, "x509", f"{entity.name}.crt"))
        shutil.copy(entity.key, os.path.join(self.swanctl_dir, "private", f"{entity.name}.key"))
        if with_ca and entity.issuer is not None:
            self.trust(entity.issuer)

    def trust(self, ca):
        """Trust a CA (make_pki()'s pki.ca["rsa"] ...): x509ca/ca-KIND.crt."""
        shutil.copy(ca.crt, os.path.join(self.swanctl_dir, "x509ca", f"{ca.name}.crt"))

    # -- process
    def start(self, timeout=30):
        for p in (self.vici_path, self.log, self.updown_log):
            if os.path.exists(p):
                os.unlink(p)
        script = ("set -e\n"
                  f"mount --bind '{self.rundir}' /run\n"
                  "mount --bind /run/charon.conf /etc/strongswan.conf\n"
                  f"mount --bind '{self.swanctl_dir}' /etc/swanctl\n")
        if self.stock:
            # Debian's plugin set includes `resolve`, which writes the DNS servers a client
            # receives into /etc/resolv.conf: it gets a private copy (resolv_conf() reads it).
            # A resolv.conf that is a symbolic link into /run already points into our /run.
            try:
                shutil.copy("/etc/resolv.conf", self.resolv)
            except OSError:
                with open(self.resolv, "w") as f:
                    f.write("# lab charon: no /etc/resolv.conf on the host\n")
            script += (f"mount --bind '{self.stock_dir}' /etc/strongswan.d\n"
                       "if [ -f /etc/resolv.conf ]; then\n"
                       f"  mount --bind '{self.resolv}' /etc/resolv.conf\n"
                       "fi\n")
        script += f"exec {CHARON}\n"
        self._out = open(self.stdout, "ab")
        env = dict(os.environ)
        env.pop("STRONGSWAN_CONF", None)
        self.proc = self.ns.popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                                  stdout=self._out, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
        ikgt._cleanups.append(self.stop)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"charon {self.name} exited with {self.proc.returncode}:\n"
                                   f"{tail(self.stdout)}{tail(self.log)}")
            if os.path.exists(self.vici_path):
                try:
                    with Vici(self.vici_path, timeout=5) as v:
                        self.version = v.request("version")
                    return
                except (OSError, ViciError):
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"charon {self.name}: no VICI socket after {timeout} s:\n"
                           f"{tail(self.stdout)}{tail(self.log)}")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        rc = _stop_pid(self.proc)
        if getattr(self, "_out", None):
            self._out.close()
            self._out = None
        return rc

    # -- swanctl and VICI
    def swanctl(self, *args, timeout=60, check=False):
        """Run swanctl in charon's mount namespace (so it sees our /etc/swanctl)."""
        if not self.running():
            raise RuntimeError(f"charon {self.name} is not running")
        argv = ["nsenter", "-t", str(self.pid), "-m", "--", SWANCTL, *args, "--uri", VICI_URI]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and r.returncode:
            raise RuntimeError(f"swanctl {' '.join(args)} failed ({r.returncode}):\n"
                               f"{r.stdout}{r.stderr}")
        return r

    def vici(self, cmd, msg=None):
        with Vici(self.vici_path) as v:
            return v.request(cmd, msg)

    def load_all(self):
        """Load credentials, pools and connections from swanctl.conf; raise on any error."""
        r = self.swanctl("--load-all", "--noprompt", check=True)
        return r.stdout

    def initiate(self, child=None, ike=None, timeout=20):
        """Initiate (and wait for) a CHILD_SA or a childless IKE SA: (ok, swanctl's output)."""
        args = ["--initiate", "--timeout", str(timeout)]
        if child:
            args += ["--child", child]
        if ike:
            args += ["--ike", ike]
        r = self.swanctl(*args, timeout=timeout + 15)
        return r.returncode == 0, r.stdout + r.stderr

    def terminate(self, ike=None, child=None, timeout=10):
        args = ["--terminate", "--timeout", str(timeout)]
        if ike:
            args += ["--ike", ike]
        if child:
            args += ["--child", child]
        r = self.swanctl(*args, timeout=timeout + 15)
        return r.returncode == 0, r.stdout + r.stderr

    def rekey(self, ike=None, child=None):
        args = ["--rekey"]
        if ike:
            args += ["--ike", ike]
        if child:
            args += ["--child", child]
        r = self.swanctl(*args)
        return r.returncode == 0, r.stdout + r.stderr

    def list_sas(self, ike=None):
        """The IKE SAs as dicts keyed by VICI's names (state, initiator-spi, responder-spi,
        encr-alg, encr-keysize, integ-alg, prf-alg, dh-group, local-host, remote-host,
        local-id, remote-id, local-vips, remote-vips, nat-remote, ...), plus "name" and
        "child-sas": a list of dicts (name, state, mode, protocol, encap, spi-in, spi-out,
        encr-alg, encr-keysize, integ-alg, dh-group, local-ts, remote-ts, bytes-in,
        packets-in, ...). SPIs are hex strings as charon gives them."""
        msg = {"ike": ike} if ike else {}
        with Vici(self.vici_path) as v:
            events, _ = v.streamed("list-sas", "list-sa", msg)
        sas = []
        for ev in events:
            for name, sa in ev.items():
                sa = dict(sa)
                sa["name"] = name
                children = []
                for key, child in (sa.get("child-sas") or {}).items():
                    child = dict(child)
                    child.setdefault("name", key)
                    children.append(child)
                sa["child-sas"] = children
                sa.setdefault("local-vips", [])
                sa.setdefault("remote-vips", [])
                sas.append(sa)
        return sas

    def ike_sa(self, name):
        """The first IKE SA of connection `name`, or None."""
        for sa in self.list_sas(ike=name):
            if sa["name"] == name:
                return sa
        return None

    def wait_sa(self, name, state="ESTABLISHED", timeout=15):
        end = time.time() + timeout
        while True:
            sa = self.ike_sa(name)
            if sa and sa.get("state") == state or time.time() > end:
                return sa
            time.sleep(0.1)

    def list_conns(self):
        with Vici(self.vici_path) as v:
            events, _ = v.streamed("list-conns", "list-conn")
        conns = {}
        for ev in events:
            conns.update(ev)
        return conns

    # -- what charon wrote
    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10):
        """Wait for a line of the charon log to match the regular expression; the match."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.log_text())
            if m or time.time() > end:
                return m
            time.sleep(0.1)

    def received_attributes(self):
        """The configuration attributes (RFC 7296 §3.15.1) this charon processed from a CP
        reply, in order, as charon names them (INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS,
        INTERNAL_IP4_SUBNET, ...), from its `ike 2` log. charon has no handler for
        INTERNAL_IP4_SUBNET (it takes split routes from the narrowed traffic selectors), so
        this is where the subnets' arrival shows."""
        return re.findall(r"processing (\w+) attribute", self.log_text())

    def resolv_conf(self):
        """The private /etc/resolv.conf of a stock charon (its resolve plugin writes there)."""
        try:
            with open(self.resolv, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def updown_events(self):
        """One dict of PLUTO_* variables per updown event (PLUTO_VERB: up-client, ...)."""
        try:
            with open(self.updown_log, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        events = []
        for block in text.split("--- event\n")[1:]:
            ev = {}
            for line in block.splitlines():
                k, _, v = line.partition("=")
                if k:
                    ev[k] = v
            events.append(ev)
        return events

    def dump(self, lines=60):
        """The tails of charon's log and stdout, for a failing test's output."""
        return (f"--- charon {self.name} log ({self.log})\n{tail(self.log, lines)}"
                f"--- charon {self.name} stdout\n{tail(self.stdout, 10)}")


# ---------------------------------------------------------------------------------- libreswan
_LIBRESWAN_ROOT = None


def libreswan_root():
    """The private libreswan root (scripts/fetch-libreswan.sh); skips the test (exit 77) with
    the reason when the package cannot be downloaded."""
    global _LIBRESWAN_ROOT
    if _LIBRESWAN_ROOT:
        return _LIBRESWAN_ROOT
    script = os.path.join(SRCDIR, "scripts", "fetch-libreswan.sh")
    r = subprocess.run(["bash", script], capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    if r.returncode == ikgt.SKIP:
        ikgt.skip(f"libreswan is not available: {r.stderr.strip()}")
    if r.returncode:
        raise RuntimeError(f"fetch-libreswan.sh failed ({r.returncode}):\n{r.stderr}")
    _LIBRESWAN_ROOT = r.stdout.strip().splitlines()[-1]
    return _LIBRESWAN_ROOT


def _lib_path(root):
    return ":".join(os.path.join(root, d) for d in ("usr/lib/x86_64-linux-gnu",
                                                     "lib/x86_64-linux-gnu"))


class Pluto:
    """libreswan's pluto in a namespace, driven with whack.

    ipsec_conf: the `conn` sections (use `ikev2=insist`; a mode-config client needs
    `leftsubnet=0.0.0.0/0`, else the responder answers TS_UNACCEPTABLE); setup: extra lines
    for `config setup` (global-redirect=...); secrets: the ipsec.secrets text; debug: log
    with plutodebug=base (needed by ike_spis()).
    Usage: p = Pluto(ns, "lc", conns, secrets).start(); p.up("home"); p.states()."""

    def __init__(self, ns, name, ipsec_conf, secrets, setup="", debug=False):
        self.root = libreswan_root()
        self.ns = ns
        self.name = name
        self.dir = tmpdir(f"ikgt-pluto-{name}-{os.getpid()}-")
        self.rundir = os.path.join(self.dir, "run")
        os.makedirs(os.path.join(self.rundir, "pluto"))
        self.nssdir = os.path.join(self.dir, "nss")
        os.makedirs(self.nssdir)
        self.ctl = os.path.join(self.rundir, "pluto", "pluto.ctl")
        self.log = os.path.join(self.dir, "pluto.log")
        self.stdout = os.path.join(self.dir, "pluto.stdout")
        self.conf = os.path.join(self.dir, "ipsec.conf")
        self.secrets_path = os.path.join(self.dir, "ipsec.secrets")
        self.libexec = os.path.join(self.root, "usr", "libexec", "ipsec")
        self.resolv = os.path.join(self.dir, "resolv.conf")
        # The default updown is `ipsec _updown`: the `ipsec` found first must be libreswan's
        # (Debian's strongSwan has one too), which then runs /usr/libexec/ipsec/_updown.
        self.env = dict(os.environ, LD_LIBRARY_PATH=_lib_path(self.root),
                        PATH=os.path.join(self.root, "usr", "sbin") + ":"
                        + os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"))
        setup_lines = "".join(f"    {ln.strip()}\n" for ln in setup.splitlines() if ln.strip())
        with open(self.conf, "w") as f:
            f.write(f"# ipsec.conf of the lab pluto \"{name}\" (written by test/lib/peers.py)\n"
                    "config setup\n"
                    f"    logfile={self.log}\n"
                    "    logappend=no\n"
                    "    logtime=yes\n"
                    f"    plutodebug={'base' if debug else 'none'}\n"
                    "    dnssec-enable=no\n"
                    f"{setup_lines}\n{ipsec_conf}\n")
        with open(self.secrets_path, "w") as f:
            f.write(secrets)
        os.chmod(self.secrets_path, 0o600)
        self.proc = None

    def _init_nss(self):
        certutil = shutil.which("certutil") or os.path.join(self.root, "usr", "bin", "certutil")
        r = subprocess.run([certutil, "-N", "-d", f"sql:{self.nssdir}", "--empty-password"],
                           capture_output=True, text=True, env=self.env, timeout=30)
        if r.returncode:
            raise RuntimeError(f"certutil -N failed: {r.stdout}{r.stderr}")

    def start(self, timeout=30):
        self._init_nss()
        # libreswan's updown script rewrites /etc/resolv.conf with the DNS servers a
        # mode-config client receives: it gets a private copy (resolv_conf() reads it). A
        # resolv.conf that is a symbolic link into /run already points into our private /run.
        try:
            shutil.copy("/etc/resolv.conf", self.resolv)
        except OSError:
            with open(self.resolv, "w") as f:
                f.write("# lab pluto: no /etc/resolv.conf on the host\n")
        script = ("set -e\n"
                  f"mount --bind '{self.root}/usr/libexec' /usr/libexec\n"
                  f"mount --bind '{self.rundir}' /run\n"
                  "if [ -f /etc/resolv.conf ]; then\n"
                  f"  mount --bind '{self.resolv}' /etc/resolv.conf\n"
                  "fi\n"
                  f"exec /usr/libexec/ipsec/pluto --nofork --config '{self.conf}'"
                  f" --rundir /run/pluto --nssdir '{self.nssdir}'"
                  f" --secretsfile '{self.secrets_path}' --ipsecdir '{self.dir}'\n")
        self._out = open(self.stdout, "ab")
        self.proc = self.ns.popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                                  stdout=self._out, stderr=subprocess.STDOUT, env=self.env,
                                  start_new_session=True)
        ikgt._cleanups.append(self.stop)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pluto {self.name} exited with {self.proc.returncode}:\n"
                                   f"{tail(self.stdout)}{tail(self.log)}")
            if os.path.exists(self.ctl) and self.whack("--status").returncode == 0:
                return self
            time.sleep(0.05)
        raise RuntimeError(f"pluto {self.name}: no control socket after {timeout} s:\n"
                           f"{tail(self.stdout)}{tail(self.log)}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def whack(self, *args, timeout=30):
        return subprocess.run([os.path.join(self.libexec, "whack"), "--ctlsocket", self.ctl,
                               *args], capture_output=True, text=True, env=self.env,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def wait_conn(self, conn, timeout=10):
        """Wait until pluto has loaded `conn` from ipsec.conf (addconn runs after start)."""
        end = time.time() + timeout
        while time.time() < end:
            if f'"{conn}":' in self.whack("--status").stdout:
                return True
            time.sleep(0.1)
        return False

    def up(self, conn, timeout=20, child=True):
        """Initiate conn and wait for the outcome: (ok, whack's output). whack's exit status
        says nothing about the outcome, so ok means pluto now holds an established IKE SA
        for conn and, when child, an established CHILD SA too."""
        if not self.wait_conn(conn):
            return False, f"pluto {self.name} never loaded conn {conn}\n{tail(self.log)}"
        try:
            r = self.whack("--name", conn, "--initiate", timeout=timeout)
            out = r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            return False, f"whack --initiate timed out after {timeout} s\n{e.stdout or ''}"
        states = [s["state"] for s in self.states() if s["conn"] == conn]
        ok = "STATE_V2_ESTABLISHED_IKE_SA" in states and (
            not child or "STATE_V2_ESTABLISHED_CHILD_SA" in states)
        return ok, out

    def impair(self, *what):
        """libreswan's test switches, e.g. impair("revival") (do not re-initiate a failed
        connection) or impair("omit-v2-ike-auth-child") (a childless IKE SA, RFC 6023)."""
        for w in what:
            r = self.whack("--impair", w)
            if r.returncode:
                raise RuntimeError(f"whack --impair {w}: {r.stdout}{r.stderr}")

    def down(self, conn):
        r = self.whack("--name", conn, "--terminate")
        return r.returncode == 0, r.stdout + r.stderr

    # '#3: "home"[1] 192.0.2.1:4500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY...'
    # (a connection that is not a template has no [N] and no peer: '#1: "net":500 STATE_...')
    _STATE = re.compile(r'^#(\d+): "([^"]+)"\S*\s+(?:(\S+)\s+)?(STATE_\w+) \(([^)]*)\);?\s*(.*)$')

    def states(self):
        """pluto's states (whack --showstates) as dicts: serial, conn, peer, state, what,
        rest (the timers and flags after the state)."""
        out = []
        for line in self.whack("--showstates").stdout.splitlines():
            line = re.sub(r"^\d{3} ", "", line)
            m = self._STATE.match(line)
            if m:
                out.append({"serial": int(m.group(1)), "conn": m.group(2), "peer": m.group(3),
                            "state": m.group(4), "what": m.group(5), "rest": m.group(6)})
        return out

    def status(self):
        return self.whack("--status").stdout

    def ike_spis(self):
        """The (initiator SPI, responder SPI) pairs, as 16 hex digits each, of the IKE headers
        pluto logged once both SPIs were known (needs debug=True): what to compare with the
        peer's list_sas()."""
        pairs, spii = [], None
        for m in re.finditer(r"\|\s+(initiator|responder) SPI: ((?:[0-9a-f]{2}\s*){8})",
                             self.log_text()):
            spi = "".join(m.group(2).split())
            if m.group(1) == "initiator":
                spii = spi
            elif spii and spi != "0" * 16 and (spii, spi) not in pairs:
                pairs.append((spii, spi))
        return pairs

    def traffic(self):
        return self.whack("--trafficstatus").stdout

    def stop(self):
        if self.running():
            try:
                self.whack("--shutdown", timeout=10)
            except subprocess.TimeoutExpired:
                pass
        rc = _stop_pid(self.proc)
        if getattr(self, "_out", None):
            self._out.close()
            self._out = None
        return rc

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def resolv_conf(self):
        """pluto's private /etc/resolv.conf: its updown writes the DNS servers it received."""
        with open(self.resolv, errors="replace") as f:
            return f.read()

    def dump(self, lines=60):
        return (f"--- pluto {self.name} log ({self.log})\n{tail(self.log, lines)}"
                f"--- pluto {self.name} stdout\n{tail(self.stdout, 10)}")


# ---------------------------------------------------------------------------------------- PKI
class Entity:
    """One key pair and its certificate from make_pki().

    prefix: PREFIX for IOS's `crypto pki import NAME pem url PREFIX`, which reads PREFIX.ca
    (the issuing CA), PREFIX.prv (the private key) and PREFIX.crt (the certificate).
    key: the same private key, never encrypted (what strongSwan loads); p12: a PKCS#12 of key,
    certificate and CA (gateways only), protected by the PKI's passphrase.
    dn: the subject as strongSwan writes an identity ("CN=gw1, O=ikegate-lab")."""

    def __init__(self, name, kind, prefix, dn, issuer):
        self.name, self.kind, self.prefix, self.dn, self.issuer = name, kind, prefix, dn, issuer
        self.crt = prefix + ".crt"
        self.prv = prefix + ".prv"
        self.key = prefix + ".key"
        self.ca = prefix + ".ca"
        self.p12 = None
        self.ips, self.dns, self.emails = [], [], []

    def __repr__(self):
        return f"Entity({self.name}, {self.dn})"


class Pki:
    """What make_pki() made: .ca["rsa"|"ecdsa"], .entities["gw1-rsa"], ... ."""

    def __init__(self, directory, passphrase):
        self.dir = directory
        self.passphrase = passphrase
        self.ca = {}
        self.entities = {}

    def __getitem__(self, name):
        return self.entities[name]


def _openssl(*args, cwd=None):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd,
                       stdin=subprocess.DEVNULL, timeout=60)
    if r.returncode:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def _genkey(kind, path):
    if kind in ("rsa", "rsa4096"):
        bits = 4096 if kind == "rsa4096" else 2048
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", path)
    elif kind == "ecdsa":
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-pkeyopt", "ec_param_enc:named_curve", "-out", path)
    else:
        raise ValueError(f"unknown key kind {kind!r}")
    os.chmod(path, 0o600)


def make_pki(directory, gateways=None, clients=("client1",), kinds=("rsa", "ecdsa"),
             domain="lab.ikegate.test", org="ikegate-lab", passphrase="ikegate-lab",
             encrypt_prv=False, days=3650):
    """A test PKI made with the openssl CLI, in `directory`:

    for each kind (rsa: RSA-2048, rsa4096: RSA-4096, ecdsa: P-256) a CA "CN=ikegate-lab <KIND> CA, O=<org>"
    (ca-KIND.crt, ca-KIND.key), and signed by it:
      gateways {name: [ip, ...]}: NAME-KIND.{crt,prv,key,ca,p12}, subject "CN=NAME, O=<org>",
        SAN IP:each ip and DNS:NAME.<domain>, EKU serverAuth + iKEIntermediate;
      clients (names): NAME-KIND.{crt,prv,key,ca}, subject "CN=NAME, O=<org>",
        SAN email:NAME@<domain> and DNS:NAME.<domain>, EKU clientAuth.
    PEM everywhere. PREFIX.prv is the key as PKCS#8, encrypted with `passphrase` (AES-256)
    when encrypt_prv; PREFIX.key is always the plain PKCS#8 key. Returns a Pki."""
    if not shutil.which("openssl"):
        ikgt.skip("the openssl command is not installed (package openssl)")
    if gateways is None:
        gateways = {"gw1": ["192.0.2.1"]}
    os.makedirs(directory, exist_ok=True)
    pki = Pki(directory, passphrase)
    cnf = os.path.join(directory, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n"
                "[ca_ext]\nbasicConstraints = critical, CA:TRUE\n"
                "keyUsage = critical, keyCertSign, cRLSign\n"
                "subjectKeyIdentifier = hash\n")
    serial = int.from_bytes(os.urandom(8), "big") >> 1

    for kind in kinds:
        cn = f"{org} {kind.upper()} CA"
        prefix = os.path.join(directory, f"ca-{kind}")
        ca = Entity(f"ca-{kind}", kind, prefix, f"CN={cn}, O={org}", None)
        _genkey(kind, ca.key)
        _openssl("req", "-new", "-x509", "-config", cnf, "-extensions", "ca_ext",
                 "-key", ca.key, "-subj", f"/CN={cn}/O={org}", "-days", str(days),
                 "-sha256", "-set_serial", str(serial), "-out", ca.crt)
        serial += 1
        pki.ca[kind] = ca

        people = [(g, "gw", ips) for g, ips in gateways.items()] + [(c, "client", ()) for c in clients]
        for name, role, ips in people:
            ent = Entity(f"{name}-{kind}", kind, os.path.join(directory, f"{name}-{kind}"),
                         f"CN={name}, O={org}", ca)
            _genkey(kind, ent.key)
            ent.dns = [f"{name}.{domain}"]
            sans = [f"IP:{ip}" for ip in ips] + [f"DNS:{d}" for d in ent.dns]
            if role == "gw":
                ent.ips = list(ips)
                eku = "serverAuth, 1.3.6.1.5.5.8.2.2"
            else:
                ent.emails = [f"{name}@{domain}"]
                sans.insert(0, f"email:{ent.emails[0]}")
                eku = "clientAuth"
            usage = ("digitalSignature, keyEncipherment" if kind.startswith("rsa")
                     else "digitalSignature")
            ext = os.path.join(directory, f"{ent.name}.ext")
            with open(ext, "w") as f:
                f.write(f"[ext]\nbasicConstraints = critical, CA:FALSE\n"
                        f"keyUsage = critical, {usage}\nextendedKeyUsage = {eku}\n"
                        f"subjectAltName = {', '.join(sans)}\n"
                        "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n")
            csr = ent.prefix + ".csr"
            _openssl("req", "-new", "-config", cnf, "-key", ent.key,
                     "-subj", f"/CN={name}/O={org}", "-out", csr)
            _openssl("x509", "-req", "-in", csr, "-CA", ca.crt, "-CAkey", ca.key,
                     "-set_serial", str(serial), "-days", str(days), "-sha256",
                     "-extfile", ext, "-extensions", "ext", "-out", ent.crt)
            serial += 1
            os.unlink(csr)
            os.unlink(ext)
            shutil.copy(ca.crt, ent.ca)
            if encrypt_prv:
                _openssl("pkcs8", "-topk8", "-in", ent.key, "-v2", "aes-256-cbc",
                         "-passout", f"pass:{passphrase}", "-out", ent.prv)
            else:
                shutil.copy(ent.key, ent.prv)
            os.chmod(ent.prv, 0o600)
            if role == "gw":
                ent.p12 = ent.prefix + ".p12"
                _openssl("pkcs12", "-export", "-inkey", ent.key, "-in", ent.crt,
                         "-certfile", ca.crt, "-name", ent.name,
                         "-passout", f"pass:{passphrase}", "-out", ent.p12)
            pki.entities[ent.name] = ent
    os.unlink(cnf)
    return pki
