"""make bench-uplink: the uplink's costs on one agent, then a fleet of simulated edge nodes against a NATS cluster.

Usage: uplink_bench.py FIELDAGENT LOADTOOL NODES SECONDS
One agent (release binary, mock GPIO, Mosquitto on loopback):
  - uplink CPU per published message and per metric sample: CPU of the agent publishing every 10 ms (9 metrics per
    NDATA, count_samples) minus the same agent without uplink:, over the same time;
  - RSS with a full store-and-forward buffer (16 MiB of segments, the default bound) against the agent without uplink;
  - replay: how fast that buffer drains once a broker is there;
  - GPIO edge → output (the agent's own histogram) while the uplink samples every 10 ms and replays the full buffer,
    against the agent without uplink.
Fleet: NODES edge nodes in one process (fieldagent-uplink-load) against three clustered nats-server nodes; a host
on another node measures publish → host latency from the payload timestamps; then the node serving a third of the
fleet is killed and the reconnect times are shown as a histogram."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paho.mqtt.client as mqtt  # noqa: E402
from sparkplug_host import Broker, NatsCluster, Payload, free_port  # noqa: E402
import uplink_tests  # noqa: E402
from uplink_tests import Agent  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
STARTED = []   # everything this run started (agents, brokers, the cluster, the load process): killed at the end


def started(thing):
    STARTED.append(thing)
    return thing


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0])
    return out


def plain_agent(w, name):
    """The same agent without its uplink: section (the baseline)."""
    a = Agent(w, name, ["mqtt://127.0.0.1:1"], interval="10ms")
    with open(a.config) as f:
        text = f.read()
    with open(a.config, "w") as f:
        f.write(text.split("uplink:")[0])
    return a


def fill_buffer(directory, limit):
    """Segments in the DiskBuffer format (length, CRC-32, record = device name length, name, Payload), up to `limit`."""
    os.makedirs(directory, exist_ok=True)
    total, segment, n, count = 0, 1, 0, 0
    out = open(os.path.join(directory, f"{segment:016x}.seg"), "wb")
    size = 0
    ts = int(time.time() * 1000) - 3600_000
    while total < limit - (64 << 10):
        p = Payload()
        p.timestamp = ts + n * 10
        m = p.metrics.add(); m.name = "Node Info/Sample"; m.datatype = 4; m.long_value = n + 1; m.timestamp = p.timestamp
        m = p.metrics.add(); m.name = "Edges"; m.datatype = 4; m.long_value = n; m.timestamp = p.timestamp
        record = b"\x00" + p.SerializeToString()
        frame = struct.pack("<II", len(record), zlib.crc32(record)) + record
        if size + len(frame) > 256 << 10:
            out.close()
            segment += 1
            out = open(os.path.join(directory, f"{segment:016x}.seg"), "wb")
            size = 0
        out.write(frame)
        size += len(frame)
        total += len(frame)
        n += 1
    out.close()
    return n, total


def edges(agent, count):
    """Drives `count` presses through the mock socket (one connection), returns the agent's edge → output line."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(agent.mock)
        f = s.makefile("rw")
        for i in range(count):
            for level in (1, 0):
                f.write(f"set button {level}\n"); f.flush()
                f.readline()
            time.sleep(0.002)
    m = re.search(r"latency: edge → output (n=\d+ p50=\S+ p99=\S+ max=\S+)", agent.status())
    return m.group(1).rstrip(";") if m else "?"


def one_agent(w):
    broker = started(Broker(w))
    rows = []
    # CPU per published message/sample.
    seconds = 10
    base = started(plain_agent(w, "cpu-base")).start()
    up = started(Agent(w, "cpu-uplink", [f"mqtt://127.0.0.1:{broker.port}"], interval="10ms", max_interval="10ms")).start()
    time.sleep(1)
    b0, u0 = cpu_seconds(base.proc.pid), cpu_seconds(up.proc.pid)
    m0 = up.metrics()
    time.sleep(seconds)
    b1, u1 = cpu_seconds(base.proc.pid), cpu_seconds(up.proc.pid)
    m1 = up.metrics()
    msgs = m1["fieldagent_uplink_published_total"] - m0["fieldagent_uplink_published_total"]
    samples = m1["fieldagent_uplink_samples_total"] - m0["fieldagent_uplink_samples_total"]
    extra_cpu = (u1 - u0) - (b1 - b0)
    rows.append(("uplink CPU per published NDATA / per metric sample (7 metrics every 10 ms, QoS 1, Mosquitto on loopback)",
                 f"{extra_cpu / msgs * 1e6:.1f} µs / {extra_cpu / samples * 1e6:.2f} µs ({int(msgs)} messages in {seconds} s; agent CPU {100 * (u1 - u0) / seconds:.1f}% vs {100 * (b1 - b0) / seconds:.1f}% without uplink)"))
    base_rss = rss_kib(base.proc.pid)
    up.kill(); base.kill()

    # RSS with a full buffer, then the replay, with edges driven meanwhile.
    port = free_port()
    full = started(Agent(w, "full", [f"mqtt://127.0.0.1:{port}"], interval="10ms", extra="  primary_host: bench\n"))
    n, total = fill_buffer(os.path.join(full.state, "uplink-full"), 16 << 20)
    full.start()
    time.sleep(2)
    full_rss = rss_kib(full.proc.pid)
    rows.append(("RSS with a full store-and-forward buffer (16 MiB on disk, default bound) / same agent without uplink:",
                 f"{full_rss['VmRSS'] / 1024:.1f} MiB / {base_rss['VmRSS'] / 1024:.1f} MiB (peak {full_rss['VmHWM'] / 1024:.1f} MiB; {n} records buffered)"))
    # The full agent's broker is a fresh Mosquitto on its port; the host says online and the replay starts.
    b2 = started(Broker(w, port=port))
    host = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-host")
    host.connect("127.0.0.1", port)
    host.loop_start()
    start = time.time()
    host.publish("spBv1.0/STATE/bench", '{"online": true, "timestamp": 0}', qos=1, retain=True).wait_for_publish(10)
    busy_line = edges(full, 1000)
    full.wait_metric("fieldagent_uplink_buffer_bytes", lambda v: v == 0, timeout=300)
    drained = time.time() - start
    m = full.metrics()
    rows.append(("replay of that buffer once the broker is back (historical NDATA, QoS 1, 32 in flight)",
                 f"{int(m['fieldagent_uplink_replayed_total'] / drained)} messages/s ({int(m['fieldagent_uplink_replayed_total'])} in {drained:.1f} s)"))
    base2 = started(plain_agent(w, "edges-base")).start()
    base_line = edges(base2, 1000)
    rows.append(("GPIO edge → output (agent side, 1000 presses via the mock socket) while the uplink replays 16 MiB and samples every 10 ms / without uplink:",
                 f"{busy_line} / {base_line}"))
    host.loop_stop(); full.kill(); base2.kill(); b2.kill(); broker.kill()
    return rows


class LatencyHost:
    """Subscribes to the load group on one cluster node; publish → host latency from each payload's timestamp."""

    def __init__(self, port):
        self.samples = []
        self.recording = False
        self.count = 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="latency-host")
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe("spBv1.0/load/NDATA/#", qos=0)
        self.client.on_message = self.message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def message(self, client, userdata, msg):
        now = time.time() * 1000
        p = msg.payload
        if not p or p[0] != 0x08:
            return
        ts, shift, i = 0, 0, 1
        while i < len(p):
            b = p[i]; ts |= (b & 0x7f) << shift; i += 1
            if b < 0x80:
                break
            shift += 7
        self.count += 1
        if self.recording:
            self.samples.append(now - ts)


def fleet(w, loadtool, nodes, seconds):
    nats = os.environ.get("NATS_SERVER")
    cluster = NatsCluster(w, os.path.abspath(nats))
    STARTED.append(type("ClusterKill", (), {"kill": lambda self: cluster.stop()})())
    host = LatencyHost(cluster.nodes[2]["mqtt"])
    urls = ",".join(f"mqtt://127.0.0.1:{n['mqtt']}" for n in cluster.nodes)
    interval = os.environ.get("UPLINK_INTERVAL", "250ms")
    log = open(os.path.join(w, "load.out"), "w")
    proc = subprocess.Popen([loadtool, "--nodes", str(nodes), "--brokers", urls, "--seconds", str(seconds + 60),
                             "--interval", interval, "--dir", os.path.join(w, "load")], stdout=log, stderr=log)
    STARTED.append(type("LoadKill", (), {"kill": lambda self: proc.poll() is None and proc.kill()})())
    time.sleep(10)   # the fleet connects and is born
    proc.send_signal(signal.SIGUSR1)
    host.recording = True
    time.sleep(seconds)
    host.recording = False
    before_kill = sorted(host.samples)
    cluster.kill(cluster.nodes[0])
    time.sleep(40)   # the storm: a third of the fleet fails over
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    cluster.stop()
    log.close()
    out = open(os.path.join(w, "load.out")).read()
    rows = []
    msgs = re.search(r"messages: (\d+) acknowledged in ([\d.]+) s = (\d+)/s", out)
    p = lambda q: before_kill[min(len(before_kill) - 1, int(len(before_kill) * q))] if before_kill else float("nan")
    rows.append((f"fleet: {nodes} edge nodes in one process (5 metrics every {interval}, QoS 1) against 3 clustered nats-server 2.10, messages acknowledged/s (window includes the kill)",
                 f"{msgs.group(3)}/s" if msgs else "?"))
    rows.append(("fleet: publish → host latency (host on another cluster node, payload timestamp, ms resolution) p50 / p99 / max",
                 f"{p(0.5):.0f} / {p(0.99):.0f} / {before_kill[-1] if before_kill else float('nan'):.0f} ms over {len(before_kill)} messages"))
    storm = re.search(r"reconnects: .*", out)
    times = re.search(r"reconnect time: .*", out)
    hist = re.findall(r"^  \d+–\d+ s: .*$", out, re.M)
    rows.append(("fleet: reconnect storm after killing the cluster node a third of the fleet was on (loss → next birth)",
                 (storm.group(0) if storm else "?") + "; " + (times.group(0) if times else "") + " histogram: " + " | ".join(h.strip() for h in hist)))
    return rows, out


def main():
    fieldagent, loadtool, nodes, seconds = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    uplink_tests.FIELDAGENT = fieldagent
    w = tempfile.mkdtemp(prefix="fa-uplink-bench-")
    os.chmod(w, 0o755)
    rows = []
    try:
        run(w, fieldagent, loadtool, nodes, seconds, rows)
    finally:
        for thing in reversed(STARTED):
            try:
                thing.kill()
            except Exception:
                pass
    shutil.rmtree(w, ignore_errors=True)


def run(w, fieldagent, loadtool, nodes, seconds, rows):
    if os.environ.get("UPLINK_PART", "all") in ("all", "agent"):
        rows += one_agent(w)
        for k, v in rows:
            print(f"| {k} | {v} |", flush=True)
    if os.environ.get("UPLINK_PART", "all") in ("all", "fleet"):
        frows, out = fleet(w, loadtool, nodes, seconds)
        print(out)
        for k, v in frows:
            print(f"| {k} | {v} |", flush=True)


if __name__ == "__main__":
    main()
