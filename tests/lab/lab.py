#!/usr/bin/python3
"""The live-event lab: real origin, packager, tracker, publisher, TURN and N
viewer processes in network namespaces; P2P against a CDN-only baseline in the
same invocation. docs/lab.md tells what it does and what it does not emulate.

Runs as root (namespaces, htb, iptables). Standard library only; matplotlib
(Debian python3-matplotlib) for the plots when it is there.

Topology (all addresses inside namespaces this program creates):

  core namespace (router, 10.77.0.1 on its lo): nginx (the CDN edge),
  gst-p2p-tracker, gst-p2p-publisher, coturn, p2p-lab-delay on TUN "dly".
  viewer i: namespace v<i>, veth eth0 10.77.i.2 <-> core c<i> 10.77.i.1;
  behind NAT: v<i> eth0 10.78.i.2 -> home router h<i> (MASQUERADE) -> core.
  Upload cap: htb on the viewer's eth0 egress. UDP forwarded between viewers
  is marked in core and routed through the TUN, where p2p-lab-delay holds
  each packet for d(src) + d(dst).
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORE_ADDR = "10.77.0.1"
HTTP_PORT = 8080
TRACKER_PORT = 8460
TURN_PORT = 3478
SEG_DUR = 2.0
UPLOAD_MIX = [(0.30, 2), (0.50, 10), (0.20, 50)]  # share, Mbit/s
SCENARIOS = ["steady", "flash", "churn", "abr", "tracker-restart", "corrupt",
             "dash"]
# The engine's fault-injection hook: a viewer that corrupts what it uploads
# (probability per uploaded segment, gst/engine/gstp2penginepeer.h).
CORRUPT_ENV = "GST_P2P_FAULT_CORRUPT_UPLOADS"


def log(*a):
    print("[lab %s]" % time.strftime("%H:%M:%S"), *a, flush=True)


def run(cmd, check=True, ns=None, quiet=False, **kw):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def median(values):
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------
# The network


class Viewer:
    def __init__(self, idx, up_mbit, delay_ms, nat, down_mbit=None):
        self.idx = idx
        self.up_mbit = up_mbit
        self.down_mbit = down_mbit
        self.delay_ms = delay_ms
        self.nat = nat
        self.ns = None
        self.wan = "10.77.%d.2" % idx      # the address nginx and peers see
        self.instances = []                # dicts: proc, log path, start...
        self.corrupt = False

    def desc(self):
        return {"viewer": self.idx, "upload_mbit": self.up_mbit,
                "download_mbit": self.down_mbit, "delay_ms": self.delay_ms,
                "nat": self.nat, "address": self.wan,
                "corrupt": self.corrupt}


class Net:
    def __init__(self, prefix):
        self.p = prefix
        self.core = prefix + "c"
        self.namespaces = []

    def ns(self, name):
        return "%s%s" % (self.p, name)

    def add_ns(self, name):
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def sysctl(self, ns, key, value):
        run(["sysctl", "-q", "-w", "%s=%s" % (key, value)], ns=ns)

    def up(self, viewers):
        self.add_ns(self.core)
        c = self.core
        # no dummy module on these kernels: the service address is on lo
        run(["ip", "-n", c, "addr", "add", CORE_ADDR + "/32", "dev", "lo"])
        self.sysctl(c, "net.ipv4.ip_forward", 1)
        self.sysctl(c, "net.ipv4.conf.all.rp_filter", 0)
        self.sysctl(c, "net.ipv4.conf.default.rp_filter", 0)
        # the delay line: peer UDP between viewers goes through the TUN
        run(["ip", "-n", c, "tuntap", "add", "dev", "dly", "mode", "tun"])
        run(["ip", "-n", c, "link", "set", "dly", "up"])
        self.sysctl(c, "net.ipv4.conf.dly.rp_filter", 0)
        run(["ip", "-n", c, "rule", "add", "pref", "100", "fwmark", "0x77",
             "lookup", "77"])
        run(["ip", "-n", c, "route", "add", "default", "dev", "dly",
             "table", "77"])
        # only what is forwarded: STUN/TURN to the core stays undelayed
        run(["iptables", "-t", "mangle", "-A", "PREROUTING", "-i", "c+",
             "-p", "udp", "-m", "addrtype", "!", "--dst-type", "LOCAL",
             "-j", "MARK", "--set-mark", "0x77"], ns=c)
        for v in viewers:
            self.add_viewer(v)

    queue = "fq_codel"

    def shape(self, ns, dev, mbit):
        run(["tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb",
             "default", "10"], ns=ns)
        burst = max(15000, int(mbit * 1e6 / 8 / 100))  # 10 ms at rate
        run(["tc", "class", "add", "dev", dev, "parent", "1:", "classid",
             "1:10", "htb", "rate", "%dmbit" % mbit, "ceil", "%dmbit" % mbit,
             "burst", str(burst)], ns=ns)
        # a short queue: a residential modem with AQM rather than seconds of
        # bufferbloat
        if self.queue == "fifo":
            # a modem without AQM: a deep FIFO (bufferbloat, few drops)
            run(["tc", "qdisc", "add", "dev", dev, "parent", "1:10",
                 "handle", "10:", "pfifo", "limit", "1000"], ns=ns)
            return
        r = run(["tc", "qdisc", "add", "dev", dev, "parent", "1:10",
                 "handle", "10:", "fq_codel"], ns=ns, check=False)
        if r.returncode != 0:
            run(["tc", "qdisc", "add", "dev", dev, "parent", "1:10",
                 "handle", "10:", "pfifo", "limit", "100"], ns=ns)

    def add_viewer(self, v):
        i = v.idx
        v.ns = self.ns("v%d" % i)
        self.add_ns(v.ns)
        c = self.core
        far = v.ns
        if v.nat:
            far = self.ns("h%d" % i)
            self.add_ns(far)
        far_if = "wan" if v.nat else "eth0"
        run(["ip", "link", "add", "c%d" % i, "netns", c, "type", "veth",
             "peer", "name", far_if, "netns", far])
        run(["ip", "-n", c, "addr", "add", "10.77.%d.1/24" % i, "dev",
             "c%d" % i])
        run(["ip", "-n", c, "link", "set", "c%d" % i, "up"])
        self.sysctl(c, "net.ipv4.conf.c%d.rp_filter" % i, 0)
        run(["ip", "-n", far, "addr", "add", v.wan + "/24", "dev", far_if])
        run(["ip", "-n", far, "link", "set", far_if, "up"])
        run(["ip", "-n", far, "route", "add", "default", "via",
             "10.77.%d.1" % i])
        if v.nat:
            run(["ip", "link", "add", "lan", "netns", far, "type", "veth",
                 "peer", "name", "eth0", "netns", v.ns])
            run(["ip", "-n", far, "addr", "add", "10.78.%d.1/24" % i, "dev",
                 "lan"])
            run(["ip", "-n", far, "link", "set", "lan", "up"])
            self.sysctl(far, "net.ipv4.ip_forward", 1)
            run(["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan",
                 "-j", "MASQUERADE"], ns=far)
            run(["ip", "-n", v.ns, "addr", "add", "10.78.%d.2/24" % i, "dev",
                 "eth0"])
            run(["ip", "-n", v.ns, "link", "set", "eth0", "up"])
            run(["ip", "-n", v.ns, "route", "add", "default", "via",
                 "10.78.%d.1" % i])
        # upload: the viewer's own egress; download (ABR runs): core egress
        self.shape(v.ns, "eth0", v.up_mbit)
        if v.down_mbit:
            self.shape(c, "c%d" % i, v.down_mbit)

    def down(self):
        for name in reversed(self.namespaces):
            # processes left in a namespace keep it alive: there are none of
            # ours by now; delete regardless
            run(["ip", "netns", "del", name], check=False)
        self.namespaces = []


# ---------------------------------------------------------------------------
# Services


class Proc:
    """A child process in a namespace, in its own session (killed by pid)."""

    def __init__(self, name, cmd, ns, workdir, env=None, stdout=None):
        self.name = name
        self.log = os.path.join(workdir, name + ".log")
        out = open(stdout or self.log, "w")
        full = (["ip", "netns", "exec", ns] if ns else []) + cmd
        self.p = subprocess.Popen(full, stdout=out,
                                  stderr=subprocess.STDOUT if not stdout
                                  else open(self.log, "w"),
                                  env=env, start_new_session=True)
        self.pid = self.p.pid
        self.started = time.time()

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, wait=5.0):
        if self.p.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(wait)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait()
        return self.p.returncode


def proc_cpu_rss(pid):
    """(user+system seconds, RSS KiB) from /proc, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        rss = 0
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        return ticks / os.sysconf("SC_CLK_TCK"), rss
    except (OSError, IndexError, ValueError):
        return None


def system_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


class Event:
    """One run of one scenario: every real part started afresh."""

    def __init__(self, lab, scenario, p2p):
        self.lab = lab
        self.a = lab.args
        self.scenario = scenario
        self.p2p = p2p
        self.name = "%s-%s" % (scenario, "p2p" if p2p else "cdn")
        self.dir = os.path.join(lab.out, self.name)
        # every part afresh, also on disk: a reused --out (the smoke run's
        # fixed folder) kept the last run's playlist and segments, encrypted
        # with its key, and a viewer joining before ffmpeg overwrote them
        # decrypted garbage
        shutil.rmtree(self.dir, ignore_errors=True)
        self.www = os.path.join(self.dir, "www")
        os.makedirs(os.path.join(self.www, "live"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "viewers"), exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chmod(lab.out, 0o755)
        self.procs = {}
        self.variant = {"abr": "abr", "dash": "dash"}.get(scenario, "hls")
        self.seg_seen = {}      # (rendition, number) -> wall time
        self.events = []        # (t, what) scenario actions
        self.samples = {}       # pid -> [(wall, cpu_s, rss_kib)]
        self.tokens = {}

    # -- the origin and the packager --

    def start_nginx(self):
        d = self.dir
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes 1;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/nginx-error.log;
events { worker_connections 4096; }
http {
  types {
    application/vnd.apple.mpegurl m3u8;
    application/dash+xml mpd;
    video/mp2t ts;
    video/iso.segment m4s;
    application/octet-stream key;
  }
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  log_format lab '$msec $remote_addr "$request_uri" $status $body_bytes_sent $request_time';
  access_log %(d)s/access.log lab;
  client_body_temp_path %(d)s/tmp;
  proxy_temp_path %(d)s/tmp;
  fastcgi_temp_path %(d)s/tmp;
  uwsgi_temp_path %(d)s/tmp;
  scgi_temp_path %(d)s/tmp;
  server {
    listen %(addr)s:%(port)d;
    root %(www)s;
    location ~ \\.(m3u8|mpd)$ { add_header Cache-Control no-cache; }
    location = /time { default_type text/plain; return 200 "$time_iso8601"; }
  }
}
""" % {"d": d, "addr": CORE_ADDR, "port": HTTP_PORT, "www": self.www})
        self.procs["nginx"] = Proc("nginx", ["nginx", "-p", d, "-c", conf],
                                   self.lab.net.core, d)

    def start_packager(self, seconds):
        live = os.path.join(self.www, "live")
        base = "http://%s:%d/live" % (CORE_ADDR, HTTP_PORT)
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
               "-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
               "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
               "-t", str(int(seconds))]
        gop = ["-g", "50", "-keyint_min", "50", "-sc_threshold", "0"]
        kbit = self.a.bitrate

        def cbr(k):
            # filler to a constant rate: segments as big as a real event's
            return ["-b:v", "%dk" % k, "-minrate", "%dk" % k,
                    "-maxrate", "%dk" % k, "-bufsize", "%dk" % k,
                    "-x264-params", "nal-hrd=cbr"]

        if self.variant in ("hls", "abr"):
            key = os.path.join(live, "stream.key")
            with open(key, "wb") as f:
                f.write(os.urandom(16))
            keyinfo = os.path.join(self.dir, "keyinfo")
            with open(keyinfo, "w") as f:
                f.write("%s/stream.key\n%s\n" % (base, key))
        if self.variant == "hls":
            cmd += ["-map", "0:v", "-map", "1:a", "-c:v", "libx264",
                    "-preset", "ultrafast", "-tune", "zerolatency",
                    "-pix_fmt", "yuv420p"] + gop + cbr(kbit) + \
                ["-c:a", "aac", "-b:a", "96k",
                 "-f", "hls", "-hls_time", "2", "-hls_list_size", "6",
                 "-hls_flags", "temp_file+delete_segments",
                 "-hls_key_info_file", keyinfo,
                 "-hls_segment_filename", os.path.join(live, "seg%05d.ts"),
                 os.path.join(live, "index.m3u8")]
            self.manifest = base + "/index.m3u8"
            self.seg_re = re.compile(r"^seg(\d+)\.ts$")
            self.seg_base = 0
        elif self.variant == "abr":
            ladder = [(256, 144, max(200, kbit // 5)),
                      (426, 240, max(400, kbit // 2)), (640, 360, kbit)]
            self.ladder = ladder
            fc = "[0:v]split=3[s0][s1][s2];" + ";".join(
                "[s%d]scale=%d:%d[v%d]" % (i, w, h, i)
                for i, (w, h, _) in enumerate(ladder))
            cmd += ["-filter_complex", fc]
            for i, (_, _, k) in enumerate(ladder):
                cmd += ["-map", "[v%d]" % i]
            for i in range(3):
                cmd += ["-map", "1:a"]
            cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-tune",
                    "zerolatency", "-pix_fmt", "yuv420p"] + gop
            for i, (_, _, k) in enumerate(ladder):
                cmd += ["-b:v:%d" % i, "%dk" % k, "-minrate:v:%d" % i,
                        "%dk" % k, "-maxrate:v:%d" % i, "%dk" % k,
                        "-bufsize:v:%d" % i, "%dk" % k]
            cmd += ["-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-b:a",
                    "64k", "-f", "hls", "-hls_time", "2", "-hls_list_size",
                    "6", "-hls_flags", "temp_file+delete_segments",
                    "-hls_key_info_file", keyinfo,
                    "-var_stream_map", "v:0,a:0 v:1,a:1 v:2,a:2",
                    "-master_pl_name", "master.m3u8",
                    "-hls_segment_filename",
                    os.path.join(live, "seg_%v_%05d.ts"),
                    os.path.join(live, "index_%v.m3u8")]
            self.manifest = base + "/master.m3u8"
            self.seg_re = re.compile(r"^seg_(\d)_(\d+)\.ts$")
            self.seg_base = 0
        else:
            cmd += ["-map", "0:v", "-map", "1:a", "-c:v", "libx264",
                    "-preset", "ultrafast", "-tune", "zerolatency",
                    "-pix_fmt", "yuv420p"] + gop + cbr(kbit) + \
                ["-c:a", "aac", "-b:a", "96k",
                 "-f", "dash", "-seg_duration", "2",
                 "-utc_timing_url", "http://%s:%d/time" % (CORE_ADDR,
                                                           HTTP_PORT),
                 "-use_template", "1", "-use_timeline", "1",
                 "-init_seg_name", "init-$RepresentationID$.m4s",
                 "-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.m4s",
                 "-window_size", "6", "-extra_window_size", "2",
                 "-remove_at_exit", "0",
                 os.path.join(live, "manifest.mpd")]
            self.manifest = base + "/manifest.mpd"
            self.seg_re = re.compile(r"^chunk-(\d)-(\d+)\.m4s$")
            self.seg_base = 1
        self.procs["ffmpeg"] = Proc("ffmpeg", cmd, None, self.dir)

    def seg_start(self, number):
        """Media time where segment `number` starts (packager timeline)."""
        return (number - self.seg_base) * SEG_DUR

    def scan_segments(self):
        now = time.time()
        try:
            names = os.listdir(os.path.join(self.www, "live"))
        except OSError:
            return
        for n in names:
            m = self.seg_re.match(n)
            if not m:
                continue
            g = m.groups()
            key = (int(g[0]) if len(g) == 2 else 0, int(g[-1]))
            if key not in self.seg_seen:
                self.seg_seen[key] = now

    def edge_at(self, wall):
        """End of the newest segment available at `wall` (media seconds)."""
        best = None
        for (_, n), t in self.seg_seen.items():
            if t <= wall and (best is None or n > best):
                best = n
        return None if best is None else self.seg_start(best) + SEG_DUR

    # -- tracker, publisher, TURN, delay line --

    def start_tracker(self):
        conf = os.path.join(self.dir, "tracker.conf")
        with open(conf, "w") as f:
            f.write("[tracker]\nmax-clients-per-ip=0\n")
        self.procs["tracker"] = Proc(
            "tracker", [self.lab.bin("tools/tracker/gst-p2p-tracker"),
                        "--listen", "%s:%d" % (CORE_ADDR, TRACKER_PORT),
                        "--secret-file", self.lab.secret, "--config", conf,
                        "--verbose"],
            self.lab.net.core, self.dir)

    def start_publisher(self):
        env = dict(os.environ, GST_REGISTRY=self.lab.registry)
        self.procs["publisher"] = Proc(
            "publisher", [self.lab.bin("tools/publisher/gst-p2p-publisher"),
                          "--manifest", self.manifest,
                          "--tracker", "ws://%s:%d/" % (CORE_ADDR,
                                                        TRACKER_PORT),
                          "--key", self.lab.opkey,
                          "--tracker-secret", self.lab.secret,
                          "--stats-interval", "10"],
            self.lab.net.core, self.dir, env=env)

    def start_turn(self):
        self.procs["coturn"] = Proc(
            "coturn", ["turnserver", "-n", "--listening-ip", CORE_ADDR,
                       "--listening-port", str(TURN_PORT),
                       "--relay-ip", CORE_ADDR, "--min-port", "50000",
                       "--max-port", "50999", "--lt-cred-mech",
                       "--user=lab:lab", "--realm=gst-p2p.lab", "--no-tls",
                       "--no-dtls", "--no-cli", "--no-tcp-relay",
                       "--pidfile", os.path.join(self.dir, "turn.pid"),
                       "--log-file", "stdout", "--simple-log"],
            self.lab.net.core, self.dir)

    def start_delay(self):
        path = os.path.join(self.dir, "delays.txt")
        with open(path, "w") as f:
            for v in self.lab.viewers:
                f.write("%s %.1f\n" % (v.wan, v.delay_ms))
        self.procs["delay"] = Proc(
            "delay", [self.lab.bin("tests/lab/p2p-lab-delay"), "--tun", "dly",
                      "--delays", path, "--loss", str(self.a.loss),
                      "--seed", str(self.a.seed)],
            self.lab.net.core, self.dir)

    def mint_tokens(self, timeout=12.0):
        """Viewer tokens for every swarm the publisher announced."""
        end = time.time() + timeout
        want = 3 if self.variant == "abr" else 1
        swarms = []
        while time.time() < end:
            try:
                with open(self.procs["publisher"].log) as f:
                    swarms = re.findall(r"swarm (\S+): new rendition",
                                        f.read())
            except OSError:
                pass
            if len(set(swarms)) >= want:
                break
            time.sleep(0.5)
        # GstP2pSwarm joins the full hex of the swarm digest, the publisher
        # the 16-character short form (docs/engine.md, "Peers"): a viewer
        # needs a token for each. The digest is SHA-256 of the manifest URL
        # and the rendition identity (docs/stream.md, "Swarm id").
        full = {}
        for ident in self.rendition_identities():
            h = hashlib.sha256(("%s\n%s" % (self.manifest, ident))
                               .encode()).hexdigest()
            full[h[:16]] = h
        names = []
        for s in dict.fromkeys(swarms):
            names.append(s)
            if s in full:
                names.append(full[s])
            else:
                log("warning: swarm %s: rendition identity not found" % s)
        for s in names:
            r = run([self.lab.bin("tools/tracker/gst-p2p-tracker"),
                     "--make-token", "--secret-file", self.lab.secret,
                     "--swarm", s, "--ttl", "7200"], check=False)
            if r.returncode == 0:
                self.tokens[s] = r.stdout.strip()
        if not self.tokens:
            log("warning: no swarm announced by the publisher; viewers join "
                "without a token")

    def rendition_identities(self):
        if self.variant == "hls":
            return ["hls:/live/index.m3u8"]
        if self.variant == "abr":
            return ["hls:/live/index_%d.m3u8" % i for i in range(3)]
        out = []
        try:
            with open(os.path.join(self.www, "live", "manifest.mpd")) as f:
                mpd = f.read()
        except OSError:
            return out
        for pid, period in re.findall(r'<Period id="([^"]*)"(.*?)</Period>',
                                      mpd, re.S):
            for sid, aset in re.findall(
                    r'<AdaptationSet id="([^"]*)"(.*?)</AdaptationSet>',
                    period, re.S):
                for rid, bw in re.findall(
                        r'<Representation id="([^"]*)"[^>]*?'
                        r'bandwidth="(\d+)"', aset):
                    out.append("dash:period=%s;set=%s;rep=%s;bandwidth=%s"
                               % (pid, sid, rid, bw))
        return out

    # -- viewers --

    def viewer_env(self, v):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("GST_P2P_"):
                del env[k]
        env["GST_REGISTRY"] = self.lab.registry
        env["GST_PLUGIN_PATH"] = self.lab.bin("plugins")
        if self.p2p:
            env["GST_P2P_TRACKER"] = "ws://%s:%d/" % (CORE_ADDR, TRACKER_PORT)
            if self.tokens:
                # tokens are bound to one swarm: a viewer of a ladder gets
                # one per rendition, the engine picks by the swarm tag
                env["GST_P2P_TOKEN"] = ",".join(self.tokens.values())
            env["GST_P2P_TRUST_KEY"] = self.lab.oppub
            env["GST_P2P_STUN"] = "%s:%d" % (CORE_ADDR, TURN_PORT)
            env["GST_P2P_TURN"] = "turn://lab:lab@%s:%d" % (CORE_ADDR,
                                                            TURN_PORT)
            env["GST_P2P_UPLOAD"] = "1"
            # only in the corrupt scenario: with --scenario all the same
            # viewers play every scenario
            if v.corrupt and self.scenario == "corrupt":
                env[CORRUPT_ENV] = "1"
        if self.a.gst_debug:
            env["GST_DEBUG"] = self.a.gst_debug
        return env

    def start_viewer(self, v):
        k = len(v.instances)
        out = os.path.join(self.dir, "viewers", "v%02d-%d.jsonl" % (v.idx, k))
        err = os.path.join(self.dir, "viewers", "v%02d-%d.err" % (v.idx, k))
        cmd = [self.lab.bin("tools/play/gst-p2p-play"), "--json",
               "--stats-interval", "1"]
        if not self.a.decode:
            cmd.append("--no-decode")
        if not self.p2p:
            cmd.append("--no-p2p")
        cmd.append(self.manifest)
        p = subprocess.Popen(["ip", "netns", "exec", v.ns] + cmd,
                             stdout=open(out, "w"), stderr=open(err, "w"),
                             env=self.viewer_env(v), start_new_session=True)
        v.instances.append({"proc": p, "pid": p.pid, "out": out, "err": err,
                            "start": time.time(), "end": None,
                            "killed": None})
        self.samples[p.pid] = []

    def stop_viewer(self, v, sig):
        inst = v.instances[-1]
        p = inst["proc"]
        if p.poll() is None:
            os.kill(p.pid, sig)
            inst["killed"] = "SIGKILL" if sig == signal.SIGKILL else "SIGTERM"
        inst["end"] = time.time()

    def wait_viewers(self):
        for v in self.lab.viewers:
            for inst in v.instances:
                p = inst["proc"]
                try:
                    p.wait(8)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
                    inst["killed"] = "SIGKILL (stop timeout)"
                if inst["end"] is None:
                    inst["end"] = time.time()
                inst["exit"] = p.returncode

    # -- the scenario's timeline --

    def schedule(self):
        """[(t, action, viewer)] relative to the first join."""
        rnd = random.Random(self.a.seed)
        vs = self.lab.viewers
        n = len(vs)
        dur = self.a.duration
        plan = []
        if self.scenario in ("flash", "churn"):
            joins = sorted(rnd.uniform(0, 10) for _ in vs)
        else:
            ramp = min(20.0, dur / 4.0)
            joins = [ramp * i / max(1, n) for i in range(n)]
        for v, t in zip(vs, joins):
            plan.append((t, "join", v))
        if self.scenario == "churn":
            per_min = self.a.churn
            t0 = 20.0
            minute = 0
            while t0 + 60 * minute < dur - 10:
                k = max(1, round(per_min * n))
                for v in rnd.sample(vs, min(k, n)):
                    t = t0 + 60 * minute + rnd.uniform(0, 50)
                    if t > dur - 15:
                        continue
                    how = "kill9" if rnd.random() < self.a.churn_kill else "term"
                    plan.append((t, how, v))
                    plan.append((t + rnd.uniform(2, 8), "rejoin", v))
                minute += 1
        if self.scenario == "tracker-restart":
            plan.append((dur * 0.5, "tracker-kill", None))
            plan.append((dur * 0.5 + 5, "tracker-start", None))
        return sorted(plan, key=lambda x: x[0])

    def queue_drops(self):
        """Packets sent and dropped by each viewer's upload queue."""
        out = {}
        for v in self.lab.viewers:
            r = run(["tc", "-s", "qdisc", "show", "dev", "eth0"], ns=v.ns,
                    check=False)
            m = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+)",
                          r.stdout)
            if m:
                out[v.idx] = {"bytes": int(m.group(1)),
                              "packets": int(m.group(2)),
                              "dropped": int(m.group(3))}
        return out

    def sample(self):
        now = time.time()
        for v in self.lab.viewers:
            for inst in v.instances:
                if inst["proc"].poll() is None:
                    s = proc_cpu_rss(inst["pid"])
                    if s:
                        self.samples[inst["pid"]].append((now, s[0], s[1]))

    def run(self):
        a = self.a
        log("run %s: %d viewers, %d s" % (self.name, len(self.lab.viewers),
                                           a.duration))
        lead = 8
        self.start_nginx()
        self.start_packager(a.duration + lead + 30)
        self.start_turn()
        self.start_delay()
        if self.p2p:
            self.start_tracker()
        # the stream must have a few segments before anyone joins
        end = time.time() + 30
        while time.time() < end:
            self.scan_segments()
            if len(self.seg_seen) >= 3 * (3 if self.variant == "abr" else 1):
                break
            if not self.procs["ffmpeg"].alive():
                raise RuntimeError("ffmpeg exited, see %s" %
                                   self.procs["ffmpeg"].log)
            time.sleep(0.25)
        else:
            raise RuntimeError("the packager produced no segments")
        if self.p2p:
            self.start_publisher()
            self.mint_tokens()
        plan = self.schedule()
        busy0 = system_busy()
        queues0 = self.queue_drops()   # the qdiscs outlive a run
        self.t0 = time.time()
        next_sample = self.t0
        i = 0
        while True:
            now = time.time()
            rel = now - self.t0
            while i < len(plan) and plan[i][0] <= rel:
                t, what, v = plan[i]
                i += 1
                self.events.append((rel, what, v.idx if v else None))
                if what in ("join", "rejoin"):
                    self.start_viewer(v)
                elif what == "kill9":
                    self.stop_viewer(v, signal.SIGKILL)
                elif what == "term":
                    self.stop_viewer(v, signal.SIGTERM)
                elif "tracker" not in self.procs:
                    pass        # CDN-only run: there is no tracker
                elif what == "tracker-kill":
                    log("killing the tracker (SIGKILL)")
                    self.procs["tracker"].stop(signal.SIGKILL)
                elif what == "tracker-start":
                    log("restarting the tracker")
                    os.rename(self.procs["tracker"].log,
                              self.procs["tracker"].log + ".1")
                    self.start_tracker()
            self.scan_segments()
            if now >= next_sample:
                self.sample()
                next_sample += 1.0
            if rel >= a.duration:
                break
            time.sleep(0.25)
        busy1 = system_busy()
        self.t_end = time.time()
        self.upload_queues = self.queue_drops()
        for idx, q in self.upload_queues.items():
            for k, v in queues0.get(idx, {}).items():
                q[k] -= v
        for v in self.lab.viewers:
            if v.instances and v.instances[-1]["proc"].poll() is None:
                self.stop_viewer(v, signal.SIGTERM)
        self.wait_viewers()
        self.services_cpu = {}
        for name, pr in self.procs.items():
            s = proc_cpu_rss(pr.pid)
            # nginx/coturn workers are children: sum the whole session
            self.services_cpu[name] = session_cpu(pr.pid) if s else None
        self.delay_stats = None
        for name in ["publisher", "tracker", "coturn", "delay", "nginx",
                     "ffmpeg"]:
            if name in self.procs:
                self.procs[name].stop()
        try:
            with open(self.procs["delay"].log) as f:
                for line in f:
                    if '"stats"' in line:
                        self.delay_stats = json.loads(line)
        except (OSError, ValueError):
            pass
        self.cpu_total = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) \
            * os.cpu_count()
        log("run %s done" % self.name)


def session_cpu(pid):
    """CPU seconds of every process of pid's session (nginx/coturn workers)."""
    total = 0.0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.getsid(int(d)) != pid:
                continue
        except OSError:
            continue
        s = proc_cpu_rss(int(d))
        if s:
            total += s[0]
    return total


# ---------------------------------------------------------------------------
# Analysis


def read_jsonl(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def read_access_log(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'(\S+) (\S+) "(.*)" (\d+) (\d+)', line)
                if m:
                    rows.append((float(m.group(1)), m.group(2), m.group(3),
                                 int(m.group(4)), int(m.group(5))))
    except OSError:
        pass
    return rows


def uri_kind(uri):
    path = uri.split("?")[0]
    if path.endswith(".m3u8") or path.endswith(".mpd"):
        return "playlist"
    if path.endswith(".key"):
        return "key"
    if "/init-" in path:
        return "init"
    if path.endswith(".ts") or path.endswith(".m4s"):
        return "fragment"
    return "other"


def p2pget(st, key, default=0):
    if not st:
        return default
    return st.get(key, default)


def analyse_run(ev):
    lab = ev.lab
    res = {"name": ev.name, "scenario": ev.scenario, "p2p": ev.p2p,
           "manifest": ev.manifest, "duration": ev.a.duration,
           "events": [{"t": round(t, 2), "what": w, "viewer": v}
                      for t, w, v in ev.events],
           "machine_cpu_cores_busy": round(ev.cpu_total, 3),
           "services_cpu_s": {k: (round(v, 2) if v is not None else None)
                              for k, v in ev.services_cpu.items()},
           "delay_line": ev.delay_stats, "tokens": len(ev.tokens),
           "upload_queues": getattr(ev, "upload_queues", {})}
    q = res["upload_queues"].values()
    res["upload_queue_drop_rate"] = (
        sum(x["dropped"] for x in q) /
        max(1, sum(x["packets"] + x["dropped"] for x in q)))
    log_rows = read_access_log(os.path.join(ev.dir, "access.log"))
    by_addr = {}
    series_cdn = {}
    status_err = 0
    for ts, addr, uri, status, nbytes in log_rows:
        k = uri_kind(uri)
        d = by_addr.setdefault(addr, {})
        d[k] = d.get(k, 0) + nbytes
        d[k + "_requests"] = d.get(k + "_requests", 0) + 1
        if status >= 400:
            status_err += 1
        if k == "fragment" and addr != CORE_ADDR:
            sec = int(ts - ev.t0)
            series_cdn[sec] = series_cdn.get(sec, 0) + nbytes
    res["nginx"] = {"requests": len(log_rows), "errors": status_err,
                    "publisher_fragment_bytes":
                    by_addr.get(CORE_ADDR, {}).get("fragment", 0)}
    seg_sizes = []
    for ts, addr, uri, status, nbytes in log_rows:
        if uri_kind(uri) == "fragment" and status == 200:
            seg_sizes.append(nbytes)
    viewers = []
    series = {}      # viewer -> [(t, buffer%, distance, cdn, peers)]
    stalls = []      # (viewer, t_start, seconds)
    for v in lab.viewers:
        r = {"viewer": v.idx, "upload_mbit": v.up_mbit, "nat": v.nat,
             "delay_ms": v.delay_ms, "instances": len(v.instances)}
        cdn = peers = up = hashf = fallbacks = misses = linkf = 0
        st_stalls = st_stall_s = underruns = underrun_s = 0
        cpu = lifetime = 0.0
        rss = 0
        ttffs = []
        maxpeers = 0
        exits = []
        dist = []
        frag_bytes = 0
        errors = []
        fields = {}
        for k, inst in enumerate(v.instances):
            lines = read_jsonl(inst["out"])
            last = None
            ff = None
            newest = None   # newest fragment requested: the ones before it are in
            first_seg = None  # the first media segment (not an init segment)
            for j in lines:
                e = j.get("event")
                if e == "fetch" and j.get("kind") == "fragment":
                    base = j.get("uri", "").split("?")[0].rsplit("/", 1)[-1]
                    m = ev.seg_re.match(base)
                    if m:
                        num = int(m.groups()[-1])
                        if first_seg is None:
                            first_seg = num
                        if newest is None or num > newest:
                            newest = num
                if e in ("tick", "summary"):
                    last = j
                elif e == "first-frame":
                    ff = j
                elif e == "error":
                    errors.append(j.get("message"))
                elif e == "stall":
                    stalls.append((v.idx, j["wall"] - ev.t0, None))
                elif e == "resume" and stalls and stalls[-1][0] == v.idx \
                        and stalls[-1][2] is None:
                    stalls[-1] = (v.idx, stalls[-1][1], j["seconds"])
                elif e == "underrun":
                    stalls.append((v.idx, j["wall"] - ev.t0 - j["seconds"],
                                   j["seconds"]))
                if e == "tick":
                    p = j.get("p2p") or {}
                    d = None
                    ahead = None
                    if ff and j.get("pts", -1) >= 0 and first_seg is not None:
                        if True:
                            pos = ev.seg_start(first_seg) + \
                                (j["pts"] - j["first_pts"])
                            if newest is not None:
                                ahead = ev.seg_start(newest) - pos
                            edge = ev.edge_at(j["wall"])
                            if edge is not None:
                                d = edge - pos
                                if j["t"] - ff["t"] > 5:
                                    dist.append(d)
                    series.setdefault(v.idx, []).append(
                        (j["wall"] - ev.t0, j.get("buffer_percent"), d,
                         p2pget(p, "bytes-from-cdn", None),
                         p2pget(p, "bytes-from-peers", None), k, ahead))
            if ff:
                ttffs.append(ff["ttff"])
            if last:
                p = last.get("p2p")
                for key, val in (p or {}).items():
                    # every engine counter, including ones added later (peer
                    # link failures, ...); gauges keep their maximum
                    if isinstance(val, (int, float)) and \
                            not isinstance(val, bool):
                        if key in ("peers", "swarms"):
                            fields[key] = max(fields.get(key, 0), val)
                        else:
                            fields[key] = fields.get(key, 0) + val
                fr = (last.get("fetched") or {}).get("fragment", {})
                frag_bytes += fr.get("bytes", 0)
                if p:
                    cdn += p2pget(p, "bytes-from-cdn")
                    peers += p2pget(p, "bytes-from-peers")
                    up += p2pget(p, "bytes-to-peers")
                    hashf += p2pget(p, "hash-failures")
                    fallbacks += p2pget(p, "cdn-fallbacks")
                    misses += p2pget(p, "deadline-misses")
                    linkf += p2pget(p, "link-failures")
                    maxpeers = max(maxpeers, p2pget(p, "peers"))
                else:
                    cdn += fr.get("bytes", 0)
                st_stalls += last.get("stalls", 0)
                st_stall_s += last.get("stall_s", 0)
                underruns += last.get("underruns", 0)
                underrun_s += last.get("underrun_s", 0)
            smp = ev.samples.get(inst["pid"], [])
            if len(smp) >= 2:
                cpu += smp[-1][1] - smp[0][1]
                lifetime += smp[-1][0] - smp[0][0]
                rss = max(rss, max(s[2] for s in smp))
            exits.append({"exit": inst.get("exit"), "killed": inst["killed"]})
        ng = by_addr.get(v.wan, {})
        r.update({
            "ttff_s": ttffs[0] if ttffs else None,
            "rejoin_ttff_s": ttffs[1:],
            "stalls": st_stalls, "stall_s": round(st_stall_s, 3),
            "underruns": underruns, "underrun_s": round(underrun_s, 3),
            "cdn_bytes_stats": cdn, "peer_bytes": peers, "upload_bytes": up,
            "player_fragment_bytes": frag_bytes,
            "cdn_bytes_nginx": ng.get("fragment", 0),
            "nginx_playlist_bytes": ng.get("playlist", 0),
            "hash_failures": hashf, "cdn_fallbacks": fallbacks,
            "deadline_misses": misses, "max_peers": maxpeers,
            "link_failures": linkf,
            "cpu_percent": round(100 * cpu / lifetime, 2) if lifetime else None,
            "rss_mib": round(rss / 1024, 1),
            "live_distance_median_s": round(median(dist), 2) if dist else None,
            "live_distance_p95_s": round(pct(dist, 0.95), 2) if dist else None,
            "exits": exits, "errors": errors[:3], "p2p_stats": fields})
        viewers.append(r)
    res["viewers"] = viewers
    tot = lambda k: sum(x[k] for x in viewers)
    cdn_nginx = tot("cdn_bytes_nginx")
    cdn_stats = tot("cdn_bytes_stats")
    peer = tot("peer_bytes")
    ttff = [x["ttff_s"] for x in viewers if x["ttff_s"] is not None]
    dists = [x["live_distance_median_s"] for x in viewers
             if x["live_distance_median_s"] is not None]
    cpus = [x["cpu_percent"] for x in viewers if x["cpu_percent"] is not None]
    seg_mean = statistics.mean(seg_sizes) if seg_sizes else None
    res["totals"] = {
        "viewers": len(viewers),
        "played": sum(1 for x in viewers if x["ttff_s"] is not None),
        "cdn_bytes_nginx": cdn_nginx, "cdn_bytes_stats": cdn_stats,
        "peer_bytes": peer, "upload_bytes": tot("upload_bytes"),
        "demand_bytes": cdn_stats + peer,
        "offload_stats": peer / (cdn_stats + peer) if cdn_stats + peer else 0.0,
        "offload_nginx_vs_demand":
            1 - cdn_nginx / (cdn_stats + peer) if cdn_stats + peer else None,
        "stats_vs_nginx": (cdn_stats - cdn_nginx) / cdn_nginx
            if cdn_nginx else None,
        "ttff_median_s": median(ttff), "ttff_p95_s": pct(ttff, 0.95),
        "ttff_max_s": max(ttff) if ttff else None,
        "stalls": tot("stalls"), "stall_s": round(tot("stall_s"), 3),
        "underruns": tot("underruns"), "underrun_s": round(tot("underrun_s"), 3),
        "live_distance_median_s": median(dists),
        "live_distance_max_median_s": max(dists) if dists else None,
        "cpu_percent_per_viewer_mean": statistics.mean(cpus) if cpus else None,
        "cpu_percent_per_viewer_max": max(cpus) if cpus else None,
        "rss_mib_max": max(x["rss_mib"] for x in viewers) if viewers else None,
        "hash_failures": tot("hash_failures"),
        "cdn_fallbacks": tot("cdn_fallbacks"),
        "link_failures": tot("link_failures"),
        "deadline_misses": tot("deadline_misses"),
        "segment_bytes_mean": seg_mean,
        "viewer_errors": sum(len(x["errors"]) for x in viewers),
    }
    fields = {}
    for x in viewers:
        for key, val in x["p2p_stats"].items():
            fields[key] = fields.get(key, 0) + val
    res["totals"]["p2p_stats"] = fields
    n = len(viewers)
    swarms = 3 if ev.variant == "abr" else 1
    demand_bps = n * seg_mean * 8 / SEG_DUR if seg_mean else None
    upcap = sum(v.up_mbit for v in lab.viewers) * 1e6
    res["ceiling"] = {
        "swarm": 1 - swarms / n if n else 0,
        "upload": upcap / demand_bps if demand_bps else None,
    }
    res["ceiling"]["offload"] = min(x for x in res["ceiling"].values()
                                    if x is not None)
    res["series"] = {"cdn_fragment_bytes_per_s": series_cdn,
                     "viewers": series, "stalls": stalls}
    return res


def combine(base, p2p):
    """Offload against the baseline, and the targets of issue 5."""
    if not base or not p2p:
        return None
    b, p = base["totals"], p2p["totals"]
    out = {
        "offload_nginx": 1 - p["cdn_bytes_nginx"] / b["cdn_bytes_nginx"]
        if b["cdn_bytes_nginx"] else None,
        "offload_stats": p["offload_stats"],
        "ceiling": p2p["ceiling"]["offload"],
        "ttff_median_delta_s": (p["ttff_median_s"] - b["ttff_median_s"])
        if p["ttff_median_s"] is not None and b["ttff_median_s"] is not None
        else None,
        "stalls_p2p": p["stalls"] + p["underruns"],
        "stalls_cdn": b["stalls"] + b["underruns"],
    }
    return out


# ---------------------------------------------------------------------------
# Reports


def fmt(x, f="%.2f", none="–"):
    return none if x is None else f % x


def pctf(x):
    return "–" if x is None else "%.1f %%" % (round(100 * x, 1) + 0.0)


def mib(x):
    return "%.1f" % (x / 1048576.0)


def markdown(lab, results):
    a = lab.args
    lines = ["# Live-event lab: %s" % ", ".join(a.scenarios), "",
             "Command: `%s`" % lab.command, "",
             "Machine: %d cores, %s; load average at start %s." % (
                 os.cpu_count(), os.uname().release, lab.load0),
             "Viewers: %d; upload mix %s; %d behind NAT; access delay "
             "%g–%g ms one way (peer RTT = 2 × (d_a + d_b)); loss %g %%; "
             "upload queue %s; "
             "stream %d kbit/s video, 2 s segments; %s." % (
                 len(lab.viewers), ", ".join("%d %% at %d Mbit/s" % (
                     s * 100, m) for s, m in UPLOAD_MIX),
                 sum(1 for v in lab.viewers if v.nat), a.delay_min,
                 a.delay_max, a.loss, a.queue, a.bitrate,
                 "decoding off" if not a.decode else "decoding on"), ""]
    hdr = ("| run | viewers | played | offload (nginx vs CDN run) | offload "
           "(p2p-stats) | stats vs nginx | ceiling | TTFF median / p95 s | "
           "stalls (n / s) | behind live median / worst s | CPU %/viewer "
           "mean / max | RSS MiB max | CDN MiB | peer MiB | uploaded MiB | "
           "hash failures | CDN fallbacks | link failures |")
    lines += [hdr, "|" + "---|" * 18]
    for scen in a.scenarios:
        base = results.get((scen, False))
        p2p = results.get((scen, True))
        comb = combine(base, p2p)
        for r in (base, p2p):
            if not r:
                continue
            t = r["totals"]
            off = comb["offload_nginx"] if comb and r is p2p else None
            lines.append(
                "| %s | %d | %d | %s | %s | %s | %s | %s / %s | %d / %.1f | "
                "%s / %s | %s / %s | %s | %s | %s | %s | %d | %d | %d |" % (
                    r["name"], t["viewers"], t["played"],
                    pctf(off) if r["p2p"] else "(baseline)",
                    pctf(t["offload_stats"]) if r["p2p"] else "–",
                    pctf(t["stats_vs_nginx"]),
                    pctf(r["ceiling"]["offload"]),
                    fmt(t["ttff_median_s"]), fmt(t["ttff_p95_s"]),
                    t["stalls"] + t["underruns"],
                    t["stall_s"] + t["underrun_s"],
                    fmt(t["live_distance_median_s"], "%.1f"),
                    fmt(t["live_distance_max_median_s"], "%.1f"),
                    fmt(t["cpu_percent_per_viewer_mean"], "%.1f"),
                    fmt(t["cpu_percent_per_viewer_max"], "%.1f"),
                    fmt(t["rss_mib_max"], "%.0f"),
                    mib(t["cdn_bytes_nginx"]), mib(t["peer_bytes"]),
                    mib(t["upload_bytes"]), t["hash_failures"],
                    t["cdn_fallbacks"], t["link_failures"]))
    lines.append("")
    for key, r in sorted(results.items(), key=lambda x: (x[0][0], x[0][1])):
        lines += ["## %s" % r["name"], "",
                  "Machine CPU busy during the run: %.2f of %d cores; "
                  "upload queues dropped %.2f %% of packets; "
                  "services CPU s: %s; delay line: %s." % (
                      r["machine_cpu_cores_busy"], os.cpu_count(),
                      100 * r["upload_queue_drop_rate"],
                      ", ".join("%s %s" % (k, fmt(v, "%.1f"))
                                for k, v in r["services_cpu_s"].items()),
                      json.dumps(r["delay_line"])), "",
                  "Engine counters summed over viewers (p2p-stats): %s." % (
                      ", ".join("%s %s" % kv for kv in sorted(
                          r["totals"]["p2p_stats"].items())
                                if not kv[0].startswith("source-"))
                      or "none (P2P off)"), "",
                  "| viewer | up Mbit/s | NAT | delay ms | TTFF s | stalls | "
                  "stall s | behind live s | CDN MiB (nginx) | CDN MiB "
                  "(stats) | peer MiB | up MiB | CPU % | RSS MiB | "
                  "instances | exits |",
                  "|" + "---|" * 16]
        for x in r["viewers"]:
            lines.append("| %d | %d | %s | %.0f | %s | %d | %.1f | %s | %s | "
                         "%s | %s | %s | %s | %s | %d | %s |" % (
                             x["viewer"], x["upload_mbit"],
                             "yes" if x["nat"] else "no", x["delay_ms"],
                             fmt(x["ttff_s"]), x["stalls"] + x["underruns"],
                             x["stall_s"] + x["underrun_s"],
                             fmt(x["live_distance_median_s"], "%.1f"),
                             mib(x["cdn_bytes_nginx"]),
                             mib(x["cdn_bytes_stats"]), mib(x["peer_bytes"]),
                             mib(x["upload_bytes"]),
                             fmt(x["cpu_percent"], "%.1f"),
                             fmt(x["rss_mib"], "%.0f"), x["instances"],
                             " ".join(str(e["exit"]) + ("/" + e["killed"]
                                                        if e["killed"] else "")
                                      for e in x["exits"])))
        lines.append("")
    return "\n".join(lines) + "\n"


def plots(lab, results, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is missing (Debian python3-matplotlib): no plots")
        return []
    files = []
    for scen in lab.args.scenarios:
        base = results.get((scen, False))
        p2p = results.get((scen, True))
        runs = [r for r in (base, p2p) if r]
        if not runs:
            continue
        # offload over time
        fig, ax = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        for r in runs:
            s = r["series"]["cdn_fragment_bytes_per_s"]
            xs = sorted(int(k) for k in s)
            w = 5
            xx = list(range(0, max(xs) + 1, w)) if xs else []
            yy = [sum(s.get(k + d, s.get(str(k + d), 0)) for d in range(w))
                  * 8 / w / 1e6 for k in xx]
            ax[0].plot(xx, yy, label=r["name"] + " (nginx)")
        ax[0].set_ylabel("CDN fragment Mbit/s")
        ax[0].legend(fontsize=8)
        if p2p:
            win = {}
            for vid, pts in p2p["series"]["viewers"].items():
                prev = {}
                for t, _, _, c, pe, inst, _ in pts:
                    if c is None:
                        continue
                    pc, pp = prev.get(inst, (0, 0))
                    b = int(t // 10) * 10
                    dc, dp = win.get(b, (0, 0))
                    win[b] = (dc + c - pc, dp + pe - pp)
                    prev[inst] = (c, pe)
            xs = sorted(win)
            ys = [100 * win[x][1] / (win[x][0] + win[x][1])
                  if win[x][0] + win[x][1] else 0 for x in xs]
            ax[1].step(xs, ys, where="post", label="offload (p2p-stats, 10 s)")
            ax[1].axhline(100 * p2p["ceiling"]["offload"], ls="--", c="gray",
                          label="ceiling")
            ax[1].set_ylim(0, 100)
            ax[1].legend(fontsize=8)
        ax[1].set_ylabel("offload %")
        ax[1].set_xlabel("seconds since the first join")
        fig.suptitle("%s: CDN load and offload" % scen)
        f = os.path.join(outdir, "%s-offload.png" % scen)
        fig.savefig(f, dpi=80)
        plt.close(fig)
        files.append(f)
        # buffer level and distance behind live per viewer
        fig, ax = plt.subplots(2, len(runs), figsize=(6 * len(runs), 6),
                               sharex=True, squeeze=False)
        for c, r in enumerate(runs):
            for vid, pts in sorted(r["series"]["viewers"].items()):
                ax[0][c].plot([p[0] for p in pts if p[6] is not None],
                              [p[6] for p in pts if p[6] is not None], lw=0.7)
                ax[1][c].plot([p[0] for p in pts if p[2] is not None],
                              [p[2] for p in pts if p[2] is not None], lw=0.7)
            ax[0][c].set_title(r["name"])
            ax[0][c].set_ylabel("downloaded ahead of playback, s")
            ax[1][c].set_ylabel("behind live edge, s")
            ax[1][c].set_xlabel("seconds since the first join")
        f = os.path.join(outdir, "%s-buffer.png" % scen)
        fig.savefig(f, dpi=80)
        plt.close(fig)
        files.append(f)
        # stalls
        fig, ax = plt.subplots(1, len(runs), figsize=(6 * len(runs), 3.5),
                               squeeze=False)
        for c, r in enumerate(runs):
            st = r["series"]["stalls"]
            for vid, t, d in st:
                ax[0][c].barh(vid, d if d else 0.3, left=t, height=0.6,
                              color="tab:red")
            ax[0][c].set_title("%s: %d stalls" % (r["name"], len(st)))
            ax[0][c].set_xlim(0, r["duration"])
            ax[0][c].set_ylim(0, len(lab.viewers) + 1)
            ax[0][c].set_xlabel("seconds since the first join")
            ax[0][c].set_ylabel("viewer")
        f = os.path.join(outdir, "%s-stalls.png" % scen)
        fig.tight_layout()
        fig.savefig(f, dpi=80)
        plt.close(fig)
        files.append(f)
    return files


def record(lab, results, plotfiles):
    """Appends the headline rows to docs/benchmarks.md (## Live-event lab)
    and copies the plots to docs/lab/."""
    bench = os.path.join(TOP, "docs", "benchmarks.md")
    marker = "<!-- live-event-lab rows: tests/lab/lab.py --record appends here -->"
    with open(bench) as f:
        text = f.read()
    if marker not in text:
        log("docs/benchmarks.md has no lab marker; not recording")
        return
    rows = []
    stamp = time.strftime("%Y-%m-%d")
    for scen in lab.args.scenarios:
        base = results.get((scen, False))
        p2p = results.get((scen, True))
        comb = combine(base, p2p)
        r = p2p or base
        t = r["totals"]
        bt = base["totals"] if base else None
        rows.append(
            "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
            % (stamp, scen, t["viewers"],
               pctf(comb["offload_nginx"]) if comb else "–",
               pctf(t["offload_stats"]) if p2p else "–",
               pctf(r["ceiling"]["offload"]),
               "%s / %s" % (fmt(t["ttff_median_s"]),
                            fmt(bt["ttff_median_s"]) if bt else "–"),
               "%d / %s" % (t["stalls"] + t["underruns"],
                            "%d" % (bt["stalls"] + bt["underruns"])
                            if bt else "–"),
               "%s / %s" % (fmt(t["live_distance_median_s"], "%.1f"),
                            fmt(bt["live_distance_median_s"], "%.1f")
                            if bt else "–"),
               fmt(t["cpu_percent_per_viewer_mean"], "%.1f"),
               pctf(t["stats_vs_nginx"]), "%d" % t["hash_failures"],
               "`%s`" % lab.command))
    text = text.replace(marker, "\n".join(rows) + "\n" + marker)
    with open(bench, "w") as f:
        f.write(text)
    d = os.path.join(TOP, "docs", "lab")
    os.makedirs(d, exist_ok=True)
    for f in plotfiles:
        shutil.copy(f, d)
    log("recorded %d row(s) in docs/benchmarks.md, plots in docs/lab/"
        % len(rows))


# ---------------------------------------------------------------------------


class Lab:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.builddir)
        self.command = "tests/lab/run-lab.sh " + " ".join(args.argv)
        with open("/proc/loadavg") as f:
            self.load0 = " ".join(f.read().split()[:3])
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.out = os.path.abspath(args.out or "/tmp/gst-p2p-lab/" + stamp)
        os.makedirs(self.out, exist_ok=True)
        self.net = Net("p2pl%d" % (os.getpid() % 100000))
        self.net.queue = args.queue
        self.registry = os.path.join(self.out, "registry.bin")
        rnd = random.Random(args.seed)
        n = args.viewers
        caps = []
        for share, mbit in UPLOAD_MIX:
            caps += [mbit] * int(round(share * n))
        caps = (caps + [10] * n)[:n]
        rnd.shuffle(caps)
        nat = [i < int(round(args.nat * n)) for i in range(n)]
        rnd.shuffle(nat)
        self.viewers = []
        for i in range(n):
            d = rnd.uniform(args.delay_min, args.delay_max)
            self.viewers.append(Viewer(i + 1, caps[i], d, nat[i]))
        self.viewers[0].corrupt = "corrupt" in args.scenarios

    def bin(self, rel):
        return os.path.join(self.build, rel)

    def prepare(self):
        self.secret = os.path.join(self.out, "tracker.secret")
        with open(self.secret, "w") as f:
            f.write(os.urandom(24).hex() + "\n")
        os.chmod(self.secret, 0o600)
        self.opkey = os.path.join(self.out, "operator.pem")
        if os.path.exists(self.opkey):
            os.unlink(self.opkey)   # never overwritten by --make-key
        r = run([self.bin("tools/publisher/gst-p2p-publisher"), "--make-key",
                 self.opkey])
        self.oppub = r.stdout.strip().split()[-1]
        # a warm registry: start-up time is the player's, not the scan's
        env = dict(os.environ, GST_REGISTRY=self.registry,
                   GST_PLUGIN_PATH=self.bin("plugins"))
        run(["gst-inspect-1.0", "p2phttpsrc"], env=env)
        r = run(["gst-inspect-1.0", "p2phttpsrc"], env=env)
        self.engine = "tracker" in r.stdout

    def set_download_caps(self, on):
        """ABR: some viewers get a download cap that fits a lower rung."""
        for v in self.viewers:
            v.down_mbit = None
        if on:
            for i, v in enumerate(self.viewers):
                if i % 5 == 1:
                    v.down_mbit = 1
                elif i % 5 == 3:
                    v.down_mbit = 2


ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))  # replies leave from the address asked
while True:
    b, a = s.recvfrom(2048)
    s.sendto(b, a)
"""

PING = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
rtt = []
for i in range(20):
    t = time.monotonic()
    s.sendto(b"x" * 1000, (sys.argv[1], 9999))
    s.recvfrom(2048)
    rtt.append((time.monotonic() - t) * 1000)
    time.sleep(0.01)
rtt.sort()
print(rtt[len(rtt) // 2])
"""


def delay_selftest(args):
    """The delay line delays UDP between viewers by d(a) + d(b) each way,
    also through NAT, and leaves the CDN path alone. Exit 0 if so."""
    net = Net("p2pt%d" % (os.getpid() % 100000))
    a = Viewer(1, 10, 10.0, False)
    b = Viewer(2, 2, 25.0, True)
    out = os.path.abspath(args.out or "/tmp/gst-p2p-lab-selftest")
    os.makedirs(out, exist_ok=True)
    delays = os.path.join(out, "delays.txt")
    with open(delays, "w") as f:
        f.write("%s %.1f\n%s %.1f\n" % (a.wan, a.delay_ms, b.wan, b.delay_ms))
    procs = []
    bad = []
    try:
        net.up([a, b])
        procs.append(Proc("delay", [os.path.join(args.builddir, "tests", "lab",
                                                 "p2p-lab-delay"),
                                    "--tun", "dly", "--delays", delays],
                          net.core, out))
        procs.append(Proc("echo-a", [sys.executable, "-c", ECHO, a.wan],
                          a.ns, out))
        procs.append(Proc("echo-core", [sys.executable, "-c", ECHO,
                                        CORE_ADDR], net.core, out))
        time.sleep(2)
        want = 2 * (a.delay_ms + b.delay_ms)
        r = run([sys.executable, "-c", PING, a.wan], ns=b.ns)
        peer = float(r.stdout)
        r = run([sys.executable, "-c", PING, CORE_ADDR], ns=b.ns)
        core = float(r.stdout)
        log("viewer-to-viewer RTT %.1f ms (want %.0f), viewer-to-core RTT "
            "%.1f ms (want ~0)" % (peer, want, core))
        if not want <= peer <= want + 15:
            bad.append("peer RTT %.1f ms, want %.0f..%.0f" % (peer, want,
                                                            want + 15))
        if core > 10:
            bad.append("core RTT %.1f ms, want < 10" % core)
    finally:
        for pr in procs:
            pr.stop()
        net.down()
    try:
        with open(os.path.join(out, "delay.log")) as f:
            st = [json.loads(l) for l in f if '"stats"' in l]
        if not st or st[-1]["delayed"] < 40:
            bad.append("the delay line did not carry the probes: %s" % st)
    except (OSError, ValueError) as e:
        bad.append("no delay line stats: %s" % e)
    for x in bad:
        log("FAIL " + x)
    return 1 if bad else 0


def check_requirements(args):
    missing = [p for p in ("ip", "tc", "iptables", "nginx", "ffmpeg",
                           "turnserver", "gst-inspect-1.0")
               if not shutil.which(p)]
    if os.geteuid() != 0:
        return "needs root (network namespaces, htb, iptables)"
    if missing:
        return "missing programs: " + " ".join(missing)
    for rel in ("tools/play/gst-p2p-play", "tools/tracker/gst-p2p-tracker",
                "tools/publisher/gst-p2p-publisher", "tests/lab/p2p-lab-delay"):
        if not os.access(os.path.join(args.builddir, rel), os.X_OK):
            return "not built: %s/%s" % (args.builddir, rel)
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    return None


def main(argv):
    ap = argparse.ArgumentParser(
        description="The live-event lab (docs/lab.md)")
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--duration", type=int, default=120,
                    help="seconds per run from the first join")
    ap.add_argument("--scenario", default="steady",
                    help="comma-separated: " + ", ".join(SCENARIOS) +
                    ", or all")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the CDN-only run")
    ap.add_argument("--cdn-only", action="store_true",
                    help="only the CDN-only run")
    ap.add_argument("--churn", type=float, default=0.2,
                    help="share of viewers leaving and rejoining per minute")
    ap.add_argument("--churn-kill", type=float, default=0.5,
                    help="share of the leaves done with SIGKILL")
    ap.add_argument("--nat", type=float, default=0.3,
                    help="share of viewers behind a NAT router")
    ap.add_argument("--delay-min", type=float, default=5.0)
    ap.add_argument("--delay-max", type=float, default=20.0)
    ap.add_argument("--loss", type=float, default=0.0,
                    help="random loss %% on peer packets")
    ap.add_argument("--queue", choices=["fq_codel", "fifo"],
                    default="fq_codel",
                    help="queue under each htb cap: fq_codel (a modem with "
                    "AQM, drops early) or fifo (1000 packets, bufferbloat)")
    ap.add_argument("--bitrate", type=int, default=2000,
                    help="video kbit/s (top rung for abr)")
    ap.add_argument("--decode", action="store_true",
                    help="decode audio and video (CPU!)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="output folder")
    ap.add_argument("--builddir", default=os.environ.get(
        "BUILDDIR", os.path.join(TOP, "build")))
    ap.add_argument("--gst-debug", help="GST_DEBUG for the viewers")
    ap.add_argument("--record", action="store_true",
                    help="append the headline rows to docs/benchmarks.md and "
                    "copy the plots to docs/lab/")
    ap.add_argument("--smoke", action="store_true",
                    help="the test suite's short run: 3 viewers, 30 s, "
                    "checks, exit 77 when it cannot run here")
    ap.add_argument("--delay-selftest", action="store_true",
                    help="check the delay line between two namespaces "
                    "(a test of the lab itself) and exit")
    args = ap.parse_args(argv)
    args.argv = argv
    if args.smoke:
        args.viewers = min(args.viewers, 3) if "--viewers" in argv else 3
        if "--duration" not in argv:
            args.duration = 30
    args.scenarios = SCENARIOS if args.scenario == "all" else \
        args.scenario.split(",")
    for s in args.scenarios:
        if s not in SCENARIOS:
            ap.error("unknown scenario %s" % s)
    if not 1 <= args.viewers <= 250:
        ap.error("--viewers must be 1..250")

    why = check_requirements(args)
    if why:
        log("cannot run: " + why)
        return 77 if args.smoke or args.delay_selftest else 1
    if args.delay_selftest:
        return delay_selftest(args)

    lab = Lab(args)
    lab.prepare()
    modes = []
    if not args.no_baseline:
        modes.append(False)
    if not args.cdn_only:
        if lab.engine:
            modes.append(True)
        else:
            log("p2phttpsrc has no engine (no 'tracker' property): the P2P "
                "runs are skipped")
    results = {}
    failed = []
    stop = {"now": False}

    def on_signal(sig, frame):
        stop["now"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        lab.net.up(lab.viewers)
        for scen in args.scenarios:
            if scen == "abr":
                # download caps live on the core side: rebuild the network
                lab.net.down()
                lab.set_download_caps(True)
                lab.net.up(lab.viewers)
            for p2p in modes:
                for v in lab.viewers:
                    v.instances = []
                ev = Event(lab, scen, p2p)
                try:
                    ev.run()
                except (RuntimeError, OSError, KeyError, ValueError) as e:
                    # one broken run must not cost the others
                    log("run %s failed: %r" % (ev.name, e))
                    failed.append("%s: %r" % (ev.name, e))
                    continue
                finally:
                    for pr in ev.procs.values():
                        pr.stop(signal.SIGKILL, 2)
                    for v in lab.viewers:
                        for inst in v.instances:
                            if inst["proc"].poll() is None:
                                os.kill(inst["pid"], signal.SIGKILL)
                                inst["proc"].wait()
                results[(scen, p2p)] = analyse_run(ev)
                results[(scen, p2p)]["setup"] = [v.desc() for v in lab.viewers]
                with open(os.path.join(ev.dir, "result.json"), "w") as f:
                    json.dump(results[(scen, p2p)], f, indent=1, default=str)
            if scen == "abr":
                lab.net.down()
                lab.set_download_caps(False)
                lab.net.up(lab.viewers)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        lab.net.down()

    out = {"command": lab.command, "load_at_start": lab.load0,
           "viewers": args.viewers, "duration": args.duration,
           "engine": lab.engine, "failed_runs": failed,
           "runs": {"%s-%s" % (k[0], "p2p" if k[1] else "cdn"): v
                    for k, v in results.items()},
           "comparison": {s: combine(results.get((s, False)),
                                     results.get((s, True)))
                          for s in args.scenarios}}
    with open(os.path.join(lab.out, "result.json"), "w") as f:
        json.dump(out, f, indent=1, default=str)
    md = markdown(lab, results)
    with open(os.path.join(lab.out, "summary.md"), "w") as f:
        f.write(md)
    files = plots(lab, results, lab.out)
    print(md)
    for s, c in out["comparison"].items():
        if c:
            log("%s: offload %s from nginx (%s from p2p-stats), ceiling %s" % (
                s, pctf(c["offload_nginx"]), pctf(c["offload_stats"]),
                pctf(c["ceiling"])))
    log("results in %s" % lab.out)
    if args.record:
        record(lab, results, files)
    if args.smoke:
        return check(lab, results) or (1 if failed else 0)
    return 1 if failed else 0


def check(lab, results):
    """The smoke run's assertions: everything ran and was measured."""
    bad = []
    for (scen, p2p), r in results.items():
        t = r["totals"]
        if t["played"] != t["viewers"]:
            bad.append("%s: %d of %d viewers never played" % (
                r["name"], t["viewers"] - t["played"], t["viewers"]))
        if t["cdn_bytes_nginx"] <= 0:
            bad.append("%s: nginx logged no fragment bytes" % r["name"])
        if t["stats_vs_nginx"] is None:
            bad.append("%s: no CDN bytes to compare" % r["name"])
        seg = t["segment_bytes_mean"] or 0
        for x in r["viewers"]:
            # a fetch the CDN completed while the viewer was stopping may be
            # missing from its last p2p-stats: one segment per process
            slack = x["instances"] * 1.5 * seg + 65536
            if abs(x["cdn_bytes_nginx"] - x["cdn_bytes_stats"]) > slack:
                bad.append("%s: viewer %d: CDN bytes %d by nginx, %d by its "
                           "p2p-stats" % (r["name"], x["viewer"],
                                          x["cdn_bytes_nginx"],
                                          x["cdn_bytes_stats"]))
        if r["p2p"] and t["p2p_stats"].get("peers", 0) > 0 and not (
                r["delay_line"] or {}).get("delayed"):
            bad.append("%s: peers linked but no packet went through the "
                       "delay line" % r["name"])
        if t["viewer_errors"]:
            bad.append("%s: %d viewer errors" % (r["name"],
                                                 t["viewer_errors"]))
        if t["live_distance_median_s"] is None:
            bad.append("%s: no distance behind live measured" % r["name"])
        for x in r["viewers"]:
            for e in x["exits"]:
                if e["exit"] != 0 and not e["killed"]:
                    bad.append("%s: viewer %d exited with %s" % (
                        r["name"], x["viewer"], e["exit"]))
    for b in bad:
        log("FAIL " + b)
    if not os.path.exists(os.path.join(lab.out, "summary.md")):
        bad.append("no summary")
    log("smoke: %s" % ("ok" if not bad else "%d failure(s)" % len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
