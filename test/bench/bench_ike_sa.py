#!/usr/bin/env python3
"""Benchmark: responder CPU and memory per established IKE SA, ikegated beside strongSwan.

What one SA is, on both responders: IKE_SA_INIT + IKE_AUTH with PSK, x25519, AES-GCM-128,
PRF HMAC-SHA256, one CHILD_SA (ESP AES-GCM-128) and an IPv4 address from a pool (configuration
payload, RFC 7296 §3.15). Neither responder installs kernel SAs: strongSwan's charon runs with
the load-tester plugin's fake kernel interface, ikegated with `--dataplane none`; so what is
measured is the IKE daemon itself.

The load generator is the same for both: strongSwan 5.9.8's load-tester plugin in a charon of
its own (built from Debian's source by scripts/build-strongswan-ldt.sh into build/peers/, the
responder charon is the same build), driven through its control socket ("N DELAY\\n"; it
answers one character per event: '.' initiated, '!' could not initiate, '+' established,
'-' failed, '*' a retransmit). Each responder gets fresh namespaces and a fresh initiator:

    initiator ns 198.18.0.2 ---- veth ---- 198.18.0.1 responder ns (GigabitEthernet1 = eth0)

What the initiator sends (charon's log of it): IKE_SA_INIT [SA KE Ni N(NATD_S_IP) N(NATD_D_IP)
N(SIGNATURE_HASH_ALGORITHMS) N(REDIRECT_SUPPORTED)]; IKE_AUTH [IDi (FQDN c<n>-r1.strongswan.org,
unique per SA; no IDr) CERTREQ AUTH(PSK) CP(CFG_REQUEST: INTERNAL_IP4_ADDRESS,
INTERNAL_IP6_ADDRESS) N(ESP_TFC_PADDING_NOT_SUPPORTED) SA TSi(0.0.0.0/0, ::/0) TSr(0.0.0.0/0)
N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED)]. The
responder answers with an IPv4 address only and narrows TSi to it (RFC 7296 §2.9, §3.15.1).

SAs are added cumulatively in one responder (smoke: 200; full: 1k, 5k, 10k; --ikegated-levels
can take ikegated further, e.g. to 100k). 2 s after each level is reached the responder's CPU
time (utime + stime of all its threads, /proc/PID/stat) and VmRSS are read, and its own count
of SAs (charon: VICI `stats`; ikegated: `show crypto ikev2 stats`). Per step: CPU ms per added
SA; per level: RSS growth since the empty daemon in KB per SA.

The ikegated side is skipped, with the reason printed, while ikegated does not start with
`--dataplane none` or establishes nothing (its responder is being written); a partial
success is a failure. Results: a table on stdout, JSON in ike_sa.json beside the ikegated
binary under test (build/bench/ike_sa.json for `make bench`).

  bench_ike_sa.py [--quick] [--runs N] [--levels 1000,5000,10000]
                  [--ikegated-levels 1000,5000,10000,100000] [--delay MS] [--only charon|ikegated]
                  [--charon-crypto openssl|builtin] [--json PATH]
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

SRCDIR = os.environ.get("SRCDIR", os.path.normpath(os.path.join(HERE, "..", "..")))
RESP, INIT = "198.18.0.1", "198.18.0.2"  # RFC 2544 benchmarking range, inside our namespaces
PSK = "ikegate-bench-psk-0123456789"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SETTLE = 2.0  # seconds between reaching a level and sampling the responder

# The first plugin to register an algorithm provides it. "openssl" (the default): OpenSSL
# provides AES-GCM, SHA-2/HMAC and X25519, as in ikegated, which uses OpenSSL; strongSwan's own
# implementations stay as fallbacks. "builtin": strongSwan's own first, the order the earlier
# anchor measurements used. load-tester must come before kernel-netlink so that its fake
# kernel-ipsec interface is the one registered (no kernel SAs).
PLUGIN_SETS = {
    "openssl": "random nonce openssl kdf curve25519 aes gcm sha1 sha2 hmac gmp pem pkcs1 x509 "
               "pubkey load-tester kernel-netlink socket-default",
    "builtin": "random nonce aes sha1 sha2 hmac gcm kdf curve25519 gmp openssl pem pkcs1 x509 "
               "pubkey load-tester kernel-netlink socket-default",
}
PLUGINS = PLUGIN_SETS["openssl"]
# What the load-tester offers: the one suite both responders are configured for, or a
# proposal the size of strongSwan's default AEAD one (the load-tester takes one proposal, and
# not the `default` keyword): its ciphers, PRFs and groups, 36 transforms, X25519 first so
# that the KE is the group both responders choose (no INVALID_KE_PAYLOAD round trip).
DEFAULT_LIKE = ("aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-aes128gcm12-aes192gcm12-"
                "aes256gcm12-aes128gcm8-aes192gcm8-aes256gcm8-aes128ccm16-aes192ccm16-"
                "aes256ccm16-aes128ccm12-aes256ccm12-aes128ccm8-aes256ccm8-prfsha256-prfsha384-"
                "prfsha512-prfsha1-prfaesxcbc-prfaescmac-x25519-x448-ecp256-ecp384-ecp521-"
                "ecp256bp-ecp384bp-ecp512bp-modp3072-modp4096-modp6144-modp8192-modp2048")
DEFAULT_LIKE_ESP = ("aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-aes128gcm12-"
                    "aes256gcm12-aes128gcm8-aes256gcm8-aes128ccm16-aes256ccm16")
INITIATOR_PROPOSALS = {"fixed": ("aes128gcm16-prfsha256-x25519", "aes128gcm16"),
                       "default": (DEFAULT_LIKE, DEFAULT_LIKE_ESP)}
INIT_PROPOSALS = INITIATOR_PROPOSALS["fixed"]

COMMON_CONF = """    # thousands of SAs from one address: no cookies, no per-IP half-open limit
    dos_protection = no
    # the default (1 bucket) makes every lookup a walk over all IKE_SAs
    ikesa_table_size = 8192
    ikesa_table_segments = 16
    reuse_ikesa = no
    install_routes = no
    install_virtual_ip = no
    syslog {{
        daemon {{
            default = -1
        }}
        auth {{
            default = -1
        }}
    }}
    filelog {{
        main {{
            path = {dir}/charon.log
            time_format = %H:%M:%S
            default = 0
            append = no
        }}
    }}
"""

INITIATOR_CONF = """# the load generator (written by test/bench/bench_ike_sa.py)
charon {{
    load = {plugins}
{common}
    # a lost SA fails after ~25 s (2 + 3.6 + 6.5 + 11.7) instead of ~165 s
    retransmit_timeout = 2.0
    retransmit_tries = 3
    plugins {{
        load-tester {{
            enable = yes
            # no automatic run: each level is requested on the control socket
            initiators = 0
            socket = unix://{dir}/run/ldt.sock
            fake_kernel = yes
            version = 2
            proposal = {ike_proposal}
            esp = {esp_proposal}
            initiator_auth = psk
            responder_auth = psk
            preshared_key = {psk}
            initiator = {init}
            responder = {resp}
            # IDi is the FQDN c<number>-r1.strongswan.org, unique per SA. The responder's
            # identity is %any (the value is a printf format, hence %%): no IDr is sent and the
            # responder authenticates with its own default identity (its address).
            responder_id = %%any
            request_virtual_ip = yes
            initiator_tsr = 0.0.0.0/0
            ike_rekey = 0
            child_rekey = 0
        }}
    }}
}}
"""

CHARON_RESP_CONF = """# the strongSwan responder (written by test/bench/bench_ike_sa.py)
charon {{
    load = {plugins} vici
{common}
    plugins {{
        load-tester {{
            # loaded only for its fake kernel interface; its own peer configuration names
            # addresses that never occur here, so the swanctl connection below is the one used
            enable = yes
            fake_kernel = yes
            initiators = 0
            socket = unix://{dir}/run/ldt.sock
            initiator = 127.0.0.253
            responder = 127.0.0.254
            preshared_key = {psk}
        }}
        vici {{
            socket = unix://{dir}/run/charon.vici
        }}
    }}
}}
"""

CHARON_SWANCTL = """connections {{
    bench {{
        version = 2
        local_addrs = {resp}
        proposals = aes128gcm16-prfsha256-x25519
        pools = pool1
        unique = never
        local {{
            auth = psk
        }}
        remote {{
            auth = psk
            id = %any
        }}
        children {{
            net {{
                local_ts = 0.0.0.0/0
                esp_proposals = aes128gcm16
            }}
        }}
    }}
}}
pools {{
    pool1 {{
        addrs = 10.64.0.1-10.79.255.254
    }}
}}
secrets {{
    ike-any {{
        secret = "{psk}"
    }}
}}
"""

IKEGATED_CONF = """hostname BENCH
aaa new-model
aaa authorization network default local
ip local pool pool1 10.64.0.1 10.79.255.254
crypto ikev2 proposal p1
 encryption aes-gcm-128
 prf sha256
 group 31
crypto ikev2 policy pol1
 proposal p1
crypto ikev2 keyring kr
 peer any
  address 0.0.0.0 0.0.0.0
  pre-shared-key {psk}
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 profile default
 match identity remote any
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
crypto ipsec transform-set ts esp-gcm 128
crypto ipsec profile default
 set transform-set ts
 set ikev2-profile default
interface GigabitEthernet1
 ip address {resp} 255.255.255.0
 no shutdown
"""


class Skip(Exception):
    """This responder cannot be measured here; the reason is printed, the other goes on."""


# ----------------------------------------------------------------------------- measurements
def proc_cpu(pid):
    """utime + stime of the whole process (all threads), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


def proc_mem(pid):
    """(VmRSS, RssAnon) in KB."""
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "VmHWM", "Threads"):
                vals[k] = int(v.split()[0])
    return vals.get("VmRSS", 0), vals.get("RssAnon", 0)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


# ------------------------------------------------------------------- strongSwan (private build)
def strongswan_prefix():
    """The private strongSwan build with load-tester (built on first use, ~1-2 min)."""
    script = os.path.join(SRCDIR, "scripts", "build-strongswan-ldt.sh")
    r = subprocess.run(["bash", script], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode == ikgt.SKIP:
        ikgt.skip(f"no strongSwan load-tester build: {r.stderr.strip()}")
    if r.returncode:
        raise RuntimeError(f"{script} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout.strip().splitlines()[-1]


class Swan:
    """A charon of the private build in a namespace. Its pid file is compiled in as
    PREFIX/run/charon.pid, so each instance bind-mounts a directory of its own over PREFIX/run
    in the private mount namespace `ip netns exec` gives it; its sockets are configured by
    path into the same directory, which the host also sees as self.run."""

    def __init__(self, prefix, ns, name, conf):
        self.prefix, self.ns, self.name = prefix, ns, name
        self.dir = tempfile.mkdtemp(prefix=f"ikgt-bsa-{name}-")
        os.chmod(self.dir, 0o755)
        ikgt._cleanups.append(self._rmdir)
        self.run = os.path.join(self.dir, "run")
        os.makedirs(self.run)
        self.conf = os.path.join(self.dir, "strongswan.conf")
        with open(self.conf, "w") as f:
            f.write(conf.format(plugins=PLUGINS, common=COMMON_CONF.format(dir=self.dir),
                                dir=self.dir, psk=PSK, init=INIT, resp=RESP,
                                ike_proposal=INIT_PROPOSALS[0], esp_proposal=INIT_PROPOSALS[1]))
        self.stdout = os.path.join(self.dir, "charon.stdout")
        self.proc = None

    def _rmdir(self):
        if os.environ.get("IKGT_KEEP") == "1":
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, sock, timeout=30):
        script = (f"mount --bind '{self.run}' '{self.prefix}/run' && "
                  f"exec '{self.prefix}/libexec/ipsec/charon'")
        env = dict(os.environ, STRONGSWAN_CONF=self.conf)
        self.out = open(self.stdout, "ab")
        self.proc = self.ns.popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=self.out,
                                  stderr=subprocess.STDOUT, env=env, start_new_session=True)
        ikgt._cleanups.append(self.stop)
        path = os.path.join(self.run, sock)
        end = time.time() + timeout
        while not os.path.exists(path):
            if self.proc.poll() is not None or time.time() > end:
                raise RuntimeError(f"charon {self.name} did not come up:\n"
                                   f"{peers.tail(self.stdout)}"
                                   f"{peers.tail(os.path.join(self.dir, 'charon.log'))}")
            time.sleep(0.05)
        with open(f"/proc/{self.pid}/comm") as f:
            comm = f.read().strip()
        if comm != "charon":  # the numbers must be charon's, not a wrapper's
            raise RuntimeError(f"pid {self.pid} is {comm!r}, not charon")
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None  # sh and `ip netns exec` exec into charon

    def stop(self):
        peers._stop_pid(self.proc, term_wait=10)
        if getattr(self, "out", None):
            self.out.close()
            self.out = None


class Initiator(Swan):
    def __init__(self, prefix, ns):
        super().__init__(prefix, ns, "init", INITIATOR_CONF)

    def start(self):
        return super().start("ldt.sock")

    def initiate(self, count, delay_ms, timeout):
        """One load-tester request; its progress characters counted."""
        s = socket.socket(socket.AF_UNIX)
        s.connect(os.path.join(self.run, "ldt.sock"))
        s.sendall(f"{count} {delay_ms}\n".encode())
        got = bytearray()
        end = time.time() + timeout
        timed_out = False
        while True:
            left = end - time.time()
            if left <= 0:
                timed_out = True
                break
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                timed_out = True
                break
            if not d:
                break
            got += d
        s.close()
        return {"initiated": got.count(b"."), "not_initiated": got.count(b"!"),
                "established": got.count(b"+"), "failed": got.count(b"-"),
                "retransmits": got.count(b"*"), "timed_out": timed_out}


class CharonResponder(Swan):
    label = "charon"

    def __init__(self, prefix, ns):
        super().__init__(prefix, ns, "resp", CHARON_RESP_CONF)
        self.vici_path = os.path.join(self.run, "charon.vici")

    def start(self):
        self.ns.ip("addr", "add", f"{RESP}/24", "dev", "eth0")
        self.ns.ip("link", "set", "eth0", "up")
        super().start("charon.vici")
        swanctl_conf = os.path.join(self.dir, "swanctl.conf")
        with open(swanctl_conf, "w") as f:
            f.write(CHARON_SWANCTL.format(resp=RESP, psk=PSK))
        r = subprocess.run([os.path.join(self.prefix, "sbin", "swanctl"), "--load-all",
                            "--noprompt", "--file", swanctl_conf, "--uri",
                            f"unix://{self.vici_path}"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
                           env=dict(os.environ, STRONGSWAN_CONF=self.conf))
        if r.returncode or "loaded connection 'bench'" not in r.stdout:
            raise RuntimeError(f"swanctl --load-all failed:\n{r.stdout}{r.stderr}")
        self.version = self._vici("version").get("version", "?")
        return self

    def _vici(self, cmd):
        with peers.Vici(self.vici_path, timeout=60) as v:
            return v.request(cmd)

    def count(self):
        """(established, half-open) IKE SAs as charon counts them."""
        st = self._vici("stats").get("ikesas", {})
        total, half = int(st.get("total", 0)), int(st.get("half-open", 0))
        return total - half, half

    def pool_in_use(self):
        """Addresses of pool1 leased to connected peers (VICI get-pools: "online")."""
        pools = self._vici("get-pools")
        return int(pools.get("pool1", {}).get("online", -1))

    def check_conn(self):
        """Which configuration the first SA uses (the swanctl one, not load-tester's) and its
        virtual IPs."""
        with peers.Vici(self.vici_path, timeout=60) as v:
            events, _ = v.streamed("list-sas", "list-sa", {"ike-id": "1", "noblock": "yes"})
        names, vips, children = set(), 0, 0
        for ev in events:
            for name, sa in ev.items():
                names.add(name)
                vips += len(sa.get("remote-vips") or [])
                children += sum(1 for c in (sa.get("child-sas") or {}).values()
                                if c.get("state") == "INSTALLED")
        return names, vips, children


class IkegatedResponder:
    label = "ikegated"

    def __init__(self, ns):
        self.ns = ns
        self.version = os.path.basename(ikgt.IKEGATED)
        self.pid = None

    def start(self):
        if not os.access(ikgt.IKEGATED, os.X_OK):
            raise Skip(f"{ikgt.IKEGATED} is not built")
        self.d = ikgt.Daemon(self.ns, startup_text=IKEGATED_CONF.format(psk=PSK, resp=RESP),
                             extra=["--dataplane", "none"], tag="bsa")
        try:
            self.d.start()
        except RuntimeError as e:
            lines = [ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()]
            why = next((ln for ln in lines if re.search(r"unrecognized|invalid|unknown|error",
                                                        ln, re.I)), lines[0] if lines else str(e))
            raise Skip(f"ikegated does not start with --dataplane none ({why})")
        self.proc = self.d.proc
        self.pid = self.proc.pid
        with open(f"/proc/{self.pid}/comm") as f:
            comm = f.read().strip()
        if comm != "ikegated":
            raise RuntimeError(f"pid {self.pid} is {comm!r}, not ikegated")
        # The startup-config loader prints each line it rejects as "PATH:N: LINE", before the
        # READY message; the log reaches the file through a queue, so wait for that message.
        end = time.time() + 5
        while "%SYS-6-READY" not in self.d.logtext() and time.time() < end:
            time.sleep(0.05)
        rejected = re.findall(r"startup-config:\d+: (.*)", self.d.logtext())
        self.config_note = ("startup-config lines rejected: " + " | ".join(
            ln.strip() for ln in rejected)) if rejected else ""
        if rejected:
            print(f"note: ikegated {self.config_note}", flush=True)
        return self

    def count(self):
        r = self.d.ikesh("show crypto ikev2 stats")
        m = re.search(r"Total incoming IKEv2 SA Count:\s*(\d+)\s+active:\s*(\d+)\s+"
                      r"negotiating:\s*(\d+)", r.stdout)
        if not m:
            return None, None
        return int(m.group(2)), int(m.group(3))

    def pool_in_use(self):
        """The "In use" column of pool1's row in `show ip local pool` (IOS's layout:
        Pool, Begin, End, Free, In use, Blocked), or None when it cannot be read."""
        r = self.d.ikesh("show ip local pool pool1")
        m = re.search(r"^\s*pool1\s+\S+\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s*$", r.stdout, re.M)
        return int(m.group(2)) if m else None

    def stop(self):
        self.d.stop(timeout=30)


# ------------------------------------------------------------------------------- one responder
def topology(tag):
    rns = ikgt.Netns(f"{tag}r")
    ins = ikgt.Netns(f"{tag}i")
    ikgt.run(["ip", "link", "add", "eth0", "netns", rns.name, "type", "veth", "peer", "name",
              "eth0", "netns", ins.name])
    ins.ip("addr", "add", f"{INIT}/24", "dev", "eth0")
    ins.ip("link", "set", "eth0", "up")
    return rns, ins


def wait_reachable(ins, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if ikgt.run(ins.exec_args(["ping", "-c1", "-W1", RESP]), check=False).returncode == 0:
            return True
        time.sleep(0.1)
    return False


def measure(make_responder, prefix, levels, delay_ms, tag):
    """Bring up one responder and its initiator, add SAs level by level, sample each level.
    Returns a result dict; raises Skip when the responder cannot be measured."""
    rns, ins = topology(tag)
    resp = make_responder(rns)
    init = None
    try:
        resp.start()
        if not wait_reachable(ins):
            raise RuntimeError(f"{RESP} does not answer ping from the initiator namespace")
        init = Initiator(prefix, ins).start()
        time.sleep(SETTLE)
        res = {"responder": resp.label, "version": resp.version, "levels": [],
               "config_note": getattr(resp, "config_note", "")}
        cpu0 = proc_cpu(resp.pid)
        rss0, anon0 = proc_mem(resp.pid)
        icpu0 = proc_cpu(init.pid)
        est, half = resp.count()
        res["base"] = {"rss_kb": rss0, "rss_anon_kb": anon0, "cpu_s": cpu0, "sas": est}
        prev_cpu, prev_icpu, have = cpu0, icpu0, 0
        for level in levels:
            n = level - have
            t0 = time.time()
            lt = init.initiate(n, delay_ms, timeout=60 + n * (delay_ms + 5) / 1000)
            wall = time.time() - t0
            time.sleep(SETTLE)
            if resp.proc.poll() is not None:
                res["aborted"] = (f"level {level}: {resp.label} exited with "
                                  f"{resp.proc.returncode}")
                print(f"  {res['aborted']}", flush=True)
                break
            cpu, icpu = proc_cpu(resp.pid), proc_cpu(init.pid)
            rss, anon = proc_mem(resp.pid)
            est, half = resp.count()
            row = {"level": level, "added": n, "wall_s": round(wall, 3), **lt,
                   "responder_sas": est, "responder_half_open": half,
                   "rss_kb": rss, "rss_anon_kb": anon, "cpu_s": round(cpu, 3),
                   "step_cpu_ms_per_sa": round(1000 * (cpu - prev_cpu) / n, 4),
                   "rss_kb_per_sa_since_empty": round((rss - rss0) / level, 3),
                   "initiator_step_cpu_ms_per_sa": round(1000 * (icpu - prev_icpu) / n, 4)}
            res["levels"].append(row)
            prev_cpu, prev_icpu, have = cpu, icpu, level
            print(f"  {resp.label} level {level}: +{lt['established']} established, "
                  f"{lt['failed'] + lt['not_initiated']} failed, {lt['retransmits']} retransmits, "
                  f"{wall:.1f} s; responder counts {est}; RSS {rss / 1024:.1f} MB; "
                  f"{row['step_cpu_ms_per_sa']:.3f} ms CPU/SA", flush=True)
            if resp.label == "ikegated" and have == levels[0] and lt["established"] == 0:
                raise Skip(f"ikegated established none of {n} SAs "
                           f"({lt['failed']} failed, {lt['retransmits']} retransmits)")
            if lt["timed_out"]:
                res["aborted"] = f"level {level}: the load-tester did not finish in time"
                break
        res["pool_in_use"] = resp.pool_in_use()
        if isinstance(resp, CharonResponder):
            names, res["sample_vips"], res["sample_children"] = resp.check_conn()
            res["connections"] = sorted(names)
        return res
    finally:
        if init:
            init.stop()
        if resp.pid:
            try:
                resp.stop()
            except Exception as e:  # report, go on cleaning up
                print(f"stopping {resp.label}: {e}")
        ins.remove()
        rns.remove()


# ------------------------------------------------------------------------------------ report
def slope(res, a, b):
    """RSS growth per SA between levels a and b (a = 0: the empty daemon)."""
    lv = {r["level"]: r for r in res["levels"]}
    lv[0] = res["base"]
    if a in lv and b in lv and b > a:
        return (lv[b]["rss_kb"] - lv[a]["rss_kb"]) / (b - a)
    return None


def print_table(runs):
    print("| run | responder | level | SAs (resp. count) | failed | retransmits | wall s "
          "| RSS MB | RSS KB/SA since empty | CPU ms/SA this step | initiator CPU ms/SA |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, run in enumerate(runs, 1):
        for name, res in run.items():
            if "skipped" in res:
                print(f"| {i} | {name} | - | skipped: {res['skipped']} | | | | | | | |")
                continue
            b = res["base"]
            print(f"| {i} | {name} | 0 | {b['sas']} | | | | {b['rss_kb'] / 1024:.1f} | | | |")
            for r in res["levels"]:
                print(f"| {i} | {name} | {r['level']} | {r['responder_sas']} "
                      f"| {r['failed'] + r['not_initiated']} | {r['retransmits']} "
                      f"| {r['wall_s']:.1f} | {r['rss_kb'] / 1024:.1f} "
                      f"| {r['rss_kb_per_sa_since_empty']:.2f} | {r['step_cpu_ms_per_sa']:.3f} "
                      f"| {r['initiator_step_cpu_ms_per_sa']:.3f} |")


def summary(runs, levels):
    """Per responder: RSS slope between the first and last common level, CPU ms/SA range."""
    out = {}
    for name in ("charon", "ikegated"):
        ok = [r[name] for r in runs if name in r and "skipped" not in r[name]]
        if not ok:
            continue
        # from the first level on, so that start-up allocations do not count; from the empty
        # daemon when there is one level only (the smoke run)
        a, b = (levels[0] if len(levels) > 1 else 0), levels[-1]
        slopes = [s for s in (slope(r, a, b) for r in ok) if s is not None]
        cpu = [row["step_cpu_ms_per_sa"] for r in ok for row in r["levels"] if row["level"] <= b]
        out[name] = {"rss_kb_per_sa_slope": [round(s, 2) for s in slopes],
                     "slope_levels": [a, b],
                     "cpu_ms_per_sa_min": min(cpu) if cpu else None,
                     "cpu_ms_per_sa_max": max(cpu) if cpu else None,
                     "cpu_ms_per_sa_mean": round(sum(cpu) / len(cpu), 4) if cpu else None}
    return out


def ratios(summ):
    """ikegated / charon, both measured in this run at the same levels and pacing: the ratio
    of the mean RSS slopes and of the mean CPU per SA over every run and step."""
    if "charon" not in summ or "ikegated" not in summ:
        return {}
    c, g = summ["charon"], summ["ikegated"]
    out = {}
    if c["rss_kb_per_sa_slope"] and g["rss_kb_per_sa_slope"]:
        out["rss_per_sa"] = round((sum(g["rss_kb_per_sa_slope"]) / len(g["rss_kb_per_sa_slope"]))
                                  / (sum(c["rss_kb_per_sa_slope"]) /
                                     len(c["rss_kb_per_sa_slope"])), 3)
    if c["cpu_ms_per_sa_mean"] and g["cpu_ms_per_sa_mean"]:
        out["cpu_per_sa"] = round(g["cpu_ms_per_sa_mean"] / c["cpu_ms_per_sa_mean"], 3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: one level of 200 SAs")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--levels", default="1000,5000,10000")
    ap.add_argument("--ikegated-levels", default=None,
                    help="ikegated's levels if other than --levels (e.g. ...,100000)")
    ap.add_argument("--delay", type=int, default=1, help="ms between initiations")
    ap.add_argument("--only", choices=("charon", "ikegated"))
    ap.add_argument("--charon-crypto", choices=sorted(PLUGIN_SETS), default="openssl",
                    help="whose cryptography the two charons use (default: openssl)")
    ap.add_argument("--initiator-proposal", choices=sorted(INITIATOR_PROPOSALS), default="fixed",
                    help="what the load-tester offers (default: fixed)")
    ap.add_argument("--json", default=None, help="default: ike_sa.json beside $IKEGATED "
                    "(ike_sa_default.json with --initiator-proposal default)")
    a = ap.parse_args()
    global INIT_PROPOSALS
    INIT_PROPOSALS = INITIATOR_PROPOSALS[a.initiator_proposal]
    levels = [200] if a.quick else [int(x) for x in a.levels.split(",")]
    ike_levels = levels if a.quick or not a.ikegated_levels else [
        int(x) for x in a.ikegated_levels.split(",")]
    if levels != sorted(levels) or ike_levels != sorted(ike_levels) or levels[0] <= 0:
        ap.error("levels must be positive and increasing")
    global PLUGINS
    PLUGINS = PLUGIN_SETS[a.charon_crypto]
    ikgt.require_root_netns()
    ikgt.sweep_stale()
    prefix = strongswan_prefix()
    json_path = a.json or os.path.join(
        os.path.dirname(os.path.abspath(ikgt.IKEGATED)),
        "ike_sa.json" if a.initiator_proposal == "fixed" else "ike_sa_default.json")

    la0 = loadavg()
    t_start = time.time()
    print(f"responder benchmark: levels {levels} (ikegated {ike_levels}), delay {a.delay} ms, "
          f"charon crypto {a.charon_crypto}, initiator proposals {a.initiator_proposal} "
          f"({INIT_PROPOSALS[0]} / {INIT_PROPOSALS[1]}), "
          f"{a.runs} run(s); load average {la0[0]:.2f} {la0[1]:.2f} {la0[2]:.2f}; "
          f"{os.cpu_count()} cpus", flush=True)
    runs = []
    for i in range(a.runs):
        run = {}
        if a.only != "ikegated":
            run["charon"] = measure(lambda ns: CharonResponder(prefix, ns), prefix, levels,
                                    a.delay, f"bsc{i}")
        if a.only != "charon":
            try:
                run["ikegated"] = measure(IkegatedResponder, prefix, ike_levels, a.delay,
                                          f"bsg{i}")
            except Skip as e:
                run["ikegated"] = {"skipped": str(e)}
                print(f"SKIP: ikegated side: {e}", flush=True)
        runs.append(run)
    la1 = loadavg()
    print(f"load average at the end {la1[0]:.2f} {la1[1]:.2f} {la1[2]:.2f}; "
          f"{time.time() - t_start:.0f} s in all")
    print_table(runs)
    summ = summary(runs, levels)
    for name, s in list(summ.items()):
        sl = ", ".join(f"{x:.2f}" for x in s["rss_kb_per_sa_slope"]) or "-"
        print(f"{name}: RSS slope {s['slope_levels'][0]}->{s['slope_levels'][1]} {sl} KB/SA; "
              f"CPU {s['cpu_ms_per_sa_min']:.3f}-{s['cpu_ms_per_sa_max']:.3f} ms/SA per step")
    r = ratios(summ)
    if r:
        summ["ratio_ikegated_to_charon"] = r
        print("ratio ikegated/charon: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()))

    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump({"what": "responder CPU and RSS per IKE SA + CHILD_SA + pool address "
                           "(PSK, x25519, AES-GCM-128, PRF SHA256)",
                   "levels": levels, "ikegated_levels": ike_levels, "delay_ms": a.delay,
                   "charon_crypto": a.charon_crypto, "charon_plugins": PLUGINS,
                   "initiator_proposals": INIT_PROPOSALS,
                   "cpus": os.cpu_count(), "loadavg_start": la0, "loadavg_end": la1,
                   "ikegated": os.path.abspath(ikgt.IKEGATED), "strongswan_prefix": prefix,
                   "runs": runs, "summary": summ}, f, indent=1)
    print(f"results: {json_path}")

    for i, run in enumerate(runs, 1):
        for name, res in run.items():
            if "skipped" in res:
                continue
            want = ike_levels if name == "ikegated" else levels
            last = res["levels"][-1] if res["levels"] else None
            ikgt.check(not res.get("aborted"), f"run {i} {name}: every level finished "
                       f"{res.get('aborted', '')}")
            ikgt.check(last is not None and last["level"] == want[-1]
                       and last["responder_sas"] == want[-1],
                       f"run {i} {name}: the responder holds {want[-1]} SAs at the end "
                       f"(counts {last['responder_sas'] if last else None})")
            ikgt.check(all(r["failed"] + r["not_initiated"] == 0 for r in res["levels"]),
                       f"run {i} {name}: no SA failed")
            ikgt.check(last is not None and res.get("pool_in_use") == last["responder_sas"],
                       f"run {i} {name}: one pool address per SA "
                       f"({res.get('pool_in_use')} leased for "
                       f"{last['responder_sas'] if last else None} SAs)")
            if name == "charon":
                ikgt.check(res.get("connections") == ["bench"] and res.get("sample_vips") == 1
                           and res.get("sample_children") == 1,
                           f"run {i} charon: the first SA uses the swanctl connection, one pool "
                           f"address and one CHILD_SA ({res.get('connections')}, "
                           f"{res.get('sample_vips')} virtual IPs, "
                           f"{res.get('sample_children')} CHILD_SAs installed)")
    if not any("skipped" not in res for run in runs for res in run.values()):
        ikgt.skip("nothing was measured")
    ikgt.finish()


if __name__ == "__main__":
    main()
