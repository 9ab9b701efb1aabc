"""The uplink end to end: the real fieldagent binary (mock GPIO), real brokers on loopback (Mosquitto; with
NATS_SERVER set, a three-node NATS cluster too) and a Sparkplug host application (sparkplug_host.py).

Usage: uplink_tests.py FIELDAGENT [TEST ...]   (run from the repository root; make test-uplink)
Every test asserts what a Sparkplug host must see; none asserts a timing."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparkplug_host import Broker, Host, NatsCluster, Tracker, free_port, value_of  # noqa: E402

FIELDAGENT = None
GROUP = "plant-test"
COUNTER = "Node Info/Sample"


class Agent:
    """fieldagent run with a config written for the test; inputs driven through the mock chip's socket."""

    def __init__(self, workdir, name, brokers, extra="", state=None, interval="100ms", max_interval="10s"):
        self.workdir = workdir
        self.name = name
        self.config = os.path.join(workdir, f"{name}.yaml")
        self.mock = os.path.join(workdir, f"{name}.mock.sock")
        self.status_path = os.path.join(workdir, f"{name}.status.sock")
        self.state = state or os.path.join(workdir, f"{name}-state")
        os.makedirs(self.state, exist_ok=True)
        if "connect_timeout" not in extra:
            extra += "  connect_timeout: 2s\n"
        with open(self.config, "w") as f:
            f.write(f"""board: sim
name: {name}
inputs:
  - name: button
    pin: GPIO17
  - name: door
    pin: GPIO27
outputs:
  - name: lamp
    pin: GPIO22
    safe: off
rules:
  - when: button rises
    toggle: lamp
uplink:
  brokers: [{", ".join(brokers)}]
  group: {GROUP}
  interval: {interval}
  max_interval: {max_interval}
  backoff_min: 200ms
  backoff_max: 1s
  keepalive: 5s
  count_samples: true
{extra}""")
        self.log = open(os.path.join(workdir, f"{name}.log"), "a")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([FIELDAGENT, "run", "--config", self.config, "--gpio", "mock", "--mock-socket", self.mock,
                                      "--status-socket", self.status_path, "--metrics-dir", "none", "--state-dir", self.state,
                                      "--log-level", "info"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while not os.path.exists(self.status_path):
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError(f"agent {self.name} did not start: {self.tail()}")
            time.sleep(0.05)
        return self

    def status(self):
        out = subprocess.run([FIELDAGENT, "status", "--socket", self.status_path], capture_output=True, text=True, timeout=10)
        return out.stdout

    def metrics(self):
        out = subprocess.run([FIELDAGENT, "status", "--socket", self.status_path, "--metrics"], capture_output=True, text=True, timeout=10)
        values = {}
        for line in out.stdout.splitlines():
            if line.startswith("fieldagent_uplink"):
                name = line.split("{")[0].split(" ")[0]
                values[name] = float(line.rsplit(" ", 1)[1])
        return values

    def wait_metric(self, name, predicate, timeout=20):
        deadline = time.time() + timeout
        while True:
            v = self.metrics().get(name)
            if v is not None and predicate(v):
                return v
            if time.time() > deadline:
                raise AssertionError(f"{self.name}: {name} = {v}; status:\n{self.status()}")
            time.sleep(0.1)

    def mock_command(self, line):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.mock)
            s.sendall((line + "\n").encode())
            s.settimeout(5)
            return s.recv(4096).decode()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def tail(self):
        self.log.flush()
        with open(self.log.name) as f:
            return "".join(f.readlines()[-25:])


def counters(samples):
    return [v for (name, v, ts, hist, dev) in samples if name == COUNTER]


def assert_contiguous(values, start=1, what="samples"):
    assert values, f"no {what}"
    expected = list(range(start, start + len(values)))
    if values != expected:
        missing = sorted(set(expected) - set(values))
        dup = sorted({v for v in values if values.count(v) > 1})
        raise AssertionError(f"{what} not contiguous from {start}: missing {missing[:10]}, duplicated {dup[:10]}, first {values[:8]} last {values[-8:]}")


# ---------------------------------------------------------------------------------------------------------------

def maps_library(agent, soname):
    """Whether the agent's process maps the library `soname` now (/proc/PID/maps names the file: libssl.so.3,
    libmosquitto.so.2.0.11 for libmosquitto.so.1)."""
    stem = soname.rsplit(".", 1)[0]
    with open(f"/proc/{agent.proc.pid}/maps") as f:
        names = {line.split()[-1].rsplit("/", 1)[-1] for line in f if "/" in line}
    return any(n == soname or n.startswith(stem + ".") for n in names)


def test_births_seq_and_data(w):
    """NBIRTH first (seq 0, bdSeq, Node Control/Rebirth, every node metric with an alias), then NDATA by alias with
    seq continuing 1, 2, … (mod 256); an input edge appears as data; a clean stop publishes NDEATH with the bdSeq."""
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    agent = Agent(w, "births", [f"mqtt://127.0.0.1:{broker.port}"], interval="20ms").start()
    try:
        tracker = Tracker("births")
        host.wait_for(lambda ms: len(counters(tracker.analyse(ms)[1])) >= 30, what="30 samples")
        # libmosquitto is loaded with dlopen by the first connection (an agent without an uplink never maps it).
        assert maps_library(agent, "libmosquitto.so.1"), "libmosquitto is not mapped"
        births = [m for m in host.snapshot() if m.type == "NBIRTH"]
        names = [x.name for x in births[0].metrics()]
        for expected in ["bdSeq", "Node Control/Rebirth", "Inputs/button", "Inputs/door", "Outputs/lamp", "Commands/Bits", "Alarms", "Edges", COUNTER]:
            assert expected in names, f"NBIRTH lacks {expected}: {names}"
        assert all(x.HasField("alias") for x in births[0].metrics() if x.name not in ("bdSeq", "Node Control/Rebirth"))
        data = [m for m in host.snapshot() if m.type == "NDATA"]
        assert all(not x.name and x.HasField("alias") for m in data for x in m.metrics()), "NDATA must use aliases only"
        # More than 256 messages prove the wrap 255 → 0 (Tracker checks each seq).
        agent.mock_command("set button 1")
        host.wait_for(lambda ms: any(n == "Outputs/lamp" and v is True for (n, v, *_r) in tracker.analyse(ms)[1]), what="lamp on in NDATA")
        host.wait_for(lambda ms: len([m for m in ms if m.type == "NDATA"]) >= 270, timeout=60, what="270 NDATA (seq wraps)")
        births_seen, samples = tracker.analyse(host.snapshot())
        assert_contiguous(counters(samples))
        bdseq = births_seen[0]
        agent.stop()
        death = host.wait_for(lambda ms: [m for m in ms if m.type == "NDEATH"], what="NDEATH")[0]
        assert {x.name: value_of(x) for x in death.metrics()}["bdSeq"] == bdseq, "NDEATH's bdSeq differs from NBIRTH's"
    finally:
        agent.kill(); host.close(); broker.kill()


def test_broker_killed_mid_stream_loses_nothing(w):
    """The broker dies (SIGKILL) while data flows; the agent buffers; a broker comes back on the same port; the
    agent re-births (bdSeq + 1) then replays the buffer as historical data, and the host sees every sample once
    (counter contiguous), except the documented duplicates (same timestamp: PUBACK lost with the broker)."""
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    host.online()
    agent = Agent(w, "outage", [f"mqtt://127.0.0.1:{broker.port}"], extra="  primary_host: scada\n").start()
    tracker = Tracker("outage")
    try:
        host.wait_for(lambda ms: len(counters(tracker.analyse(ms)[1])) >= 10, what="10 samples")
        broker.kill()
        time.sleep(0.2)   # let the host's client read what the broker wrote before it died
        before = host.snapshot()
        host.close()
        agent.wait_metric("fieldagent_uplink_connected", lambda v: v == 0)
        agent.wait_metric("fieldagent_uplink_buffered", lambda v: v >= 20)
        broker.start()
        host2 = Host("scada", GROUP, broker.port)
        host2.online()   # the node births only after the primary host's STATE: the host is subscribed by then
        host2.wait_for(lambda ms: any(m.type == "NBIRTH" for m in ms), what="the rebirth")
        agent.wait_metric("fieldagent_uplink_buffer_bytes", lambda v: v == 0)
        host2.wait_for(lambda ms: len([x for x in tracker.analyse(ms)[1] if not x[3]]) >= 5, what="live data after the replay")
        b1, s1 = tracker.analyse(before)
        b2, s2 = tracker.analyse(host2.snapshot())
        # bdSeq counts every CONNECT (failed attempts during the outage too): a new session has a new bdSeq.
        assert b2[0] != b1[0], f"bdSeq after reconnect {b2[0]}, before {b1[0]}"
        hist = [x for x in s2 if x[3]]
        assert hist, "nothing replayed as historical"
        first_live = next(i for i, x in enumerate(s2) if not x[3] and x[0] == COUNTER)
        assert all(x[3] for x in s2[:first_live] if x[0] == COUNTER), "historical data must come before live data"
        # Duplicates allowed only for samples the dead broker received without its PUBACK reaching the agent.
        assert_contiguous(dedup_in_order(counters(s1) + counters(s2)), what="samples across the outage")
        ts = [x[2] for x in s1 + s2 if x[0] == COUNTER]
        assert all(a <= b for a, b in zip(ts, ts[1:])), "timestamps go backwards"
        host2.close()
    finally:
        agent.kill(); broker.kill()


def test_agent_sigkill_during_outage_keeps_the_buffer(w):
    """No broker at all: the agent buffers, is SIGKILLed, starts again (same state dir), buffers more; then the
    broker and the host come: every sample of both runs arrives, in order, as historical data first."""
    port = free_port()
    agent = Agent(w, "killed", [f"mqtt://127.0.0.1:{port}"], extra="  primary_host: scada\n").start()
    tracker = Tracker("killed")
    try:
        agent.wait_metric("fieldagent_uplink_buffered", lambda v: v >= 15)
        agent.kill()
        agent.start()
        agent.wait_metric("fieldagent_uplink_buffered", lambda v: v >= 25)
        broker = Broker(w, port=port)
        host = Host("scada", GROUP, broker.port)
        host.online()
        agent.wait_metric("fieldagent_uplink_buffer_bytes", lambda v: v == 0)
        host.wait_for(lambda ms: len([x for x in tracker.analyse(ms)[1] if not x[3] and x[0] == COUNTER]) >= 3, what="live data")
        _, samples = tracker.analyse(host.snapshot())
        values = counters(samples)
        restart = next(i for i in range(1, len(values)) if values[i] < values[i - 1])
        run1, run2 = values[:restart], values[restart:]
        assert_contiguous(run1, what="the killed run's samples")
        assert len(run1) >= 15, f"the first run buffered at least 15 samples before SIGKILL, {len(run1)} arrived"
        assert_contiguous(run2, what="the second run's samples")
        hist = [x[3] for x in samples if x[0] == COUNTER]
        assert all(hist[:len(run1)]), "the first run's samples must be historical"
        host.close()
        broker.kill()
    finally:
        agent.kill()


def test_rebirth_and_commands_through_the_gate(w):
    """(MQTT 5.) NCMD Node Control/Rebirth: NBIRTH again (seq 0, same bdSeq). A command from a configured host id sets the
    command block's stop bit (Commands/Bits becomes 1 in NDATA); from an unknown host id, without a Host ID, aimed
    at an output, or as DCMD, it is refused and counted, and the bits do not move."""
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    agent = Agent(w, "commands", [f"mqtt://127.0.0.1:{broker.port}"], extra="  command_hosts: [scada]\n  protocol: \"5\"\n").start()
    tracker = Tracker("commands")
    try:
        host.wait_for(lambda ms: len(counters(tracker.analyse(ms)[1])) >= 3, what="data")
        b1, _ = tracker.analyse(host.snapshot())
        host.command("commands", [("Node Control/Rebirth", True)])
        host.wait_for(lambda ms: len([m for m in ms if m.type == "NBIRTH"]) >= 2, what="the rebirth")
        b2, _ = tracker.analyse(host.snapshot())
        assert b2 == [b1[0], b1[0]], f"a rebirth keeps the session's bdSeq: {b2}"
        host.command("commands", [("Host ID", "intruder"), ("Commands/stop", True)])
        host.command("commands", [("Commands/stop", True)])
        host.command("commands", [("Host ID", "scada"), ("Outputs/lamp", True)])
        host.command("commands", [("Host ID", "scada"), ("Commands/stop", True)], device="somedevice")
        agent.wait_metric("fieldagent_uplink_commands_refused_total", lambda v: v == 4)
        assert "bits 0x0," in agent.status(), agent.status()
        assert agent.mock_command("get lamp").strip().endswith("0"), "an output must never be written from the uplink"
        host.command("commands", [("Host ID", "scada"), ("Commands/stop", True)])
        host.wait_for(lambda ms: any(n == "Commands/Bits" and v == 1 for (n, v, *_r) in tracker.analyse(ms)[1]), what="Commands/Bits = 1")
        status = agent.status()
        assert "bits 0x1," in status and "1 accepted, 4 refused" in status, status
        _, samples = tracker.analyse(host.snapshot())
        assert_contiguous(counters(samples), what="samples across the rebirth")
    finally:
        agent.kill(); host.close(); broker.kill()


def test_slow_broker_is_left_and_gpio_path_is_unaffected(w):
    """The first broker (mqtts) accepts TCP and never answers: the TLS handshake stalls. Meanwhile input edges still
    drive the output (nothing waits for the broker); after connect_timeout the agent tries the next broker in its
    list (plain mqtt) and is born there."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    ca = os.path.join(w, "ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=unused",
                    "-keyout", os.path.join(w, "ca.key"), "-out", ca], check=True, capture_output=True)
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    agent = Agent(w, "slow", [f"mqtts://127.0.0.1:{silent.getsockname()[1]}", f"mqtt://127.0.0.1:{broker.port}"],
                  extra=f"  tls: {{ca: {ca}}}\n").start()
    try:
        conn, _ = silent.accept()   # the agent connected to the silent broker first
        lamp = []
        for i in range(10):
            agent.mock_command("set button 1")
            agent.mock_command("set button 0")
            lamp.append(agent.mock_command("get lamp").strip()[-1])
        assert lamp == ["1", "0"] * 5, f"the lamp toggles on every press while the broker stalls: {lamp}"
        host.wait_for(lambda ms: any(m.type == "NBIRTH" for m in ms), what="the birth on the second broker")
        status = agent.status()
        assert "did not accept" in status and f"online via mqtt://127.0.0.1:{broker.port}" in status, status
        conn.close()
    finally:
        agent.kill(); host.close(); broker.kill(); silent.close()


def make_pki(w):
    """A throwaway CA (openssl): the broker's certificate for 127.0.0.1, a client certificate, an expired client
    certificate (signed with openssl ca and a validity in 2020), and a second CA that signed nothing here."""
    d = os.path.join(w, "pki")
    os.makedirs(d)
    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=fieldagent test {ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    with open(os.path.join(d, "localhost.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    with open(os.path.join(d, "elsewhere.ext"), "w") as f:
        f.write("subjectAltName=DNS:broker.example\n")
    for name, cn in (("server", "127.0.0.1"), ("client", "uplink-agent"), ("expired", "uplink-agent"), ("localhost", "localhost"),
                     ("elsewhere", "broker.example")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.csr")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
    for name in ("localhost", "elsewhere"):
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "client.pem")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(f"""[ca]
default_ca = test
[test]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
certificate = {d}/ca.pem
private_key = {d}/ca.key
default_md = sha256
policy = anything
[anything]
commonName = supplied
""")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    run("ca", "-batch", "-config", "ca.cnf", "-in", "expired.csr", "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")
    # Mosquitto started as root reads its files as the user 'mosquitto': throwaway keys may be world-readable.
    os.chmod(w, 0o755)
    os.chmod(d, 0o755)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return {k: os.path.join(d, k) for k in ("ca.pem", "other-ca.pem", "server.pem", "server.key", "client.pem", "client.key", "expired.pem", "expired.key",
                                            "localhost.pem", "localhost.key", "elsewhere.pem", "elsewhere.key")}


def test_tls_verifies_both_ways(w):
    """Mosquitto with TLS and require_certificate: the agent with the right CA and a client certificate is born;
    one that trusts another CA refuses the broker; one with an expired client certificate is refused by it.
    Neither bad agent is ever born; both say why in fieldagent status."""
    pki = make_pki(w)
    broker = Broker(w, tls={"ca": pki["ca.pem"], "cert": pki["server.pem"], "key": pki["server.key"]})
    host = Host("scada", GROUP, broker.port, tls={"ca": pki["ca.pem"], "cert": pki["client.pem"], "key": pki["client.key"]})
    url = f"mqtts://127.0.0.1:{broker.port}"
    good = Agent(w, "tls-good", [url], extra=f"  tls: {{ca: {pki['ca.pem']}, cert: {pki['client.pem']}, key: {pki['client.key']}}}\n").start()
    wrong_ca = Agent(w, "tls-wrong-ca", [url], extra=f"  tls: {{ca: {pki['other-ca.pem']}, cert: {pki['client.pem']}, key: {pki['client.key']}}}\n").start()
    expired = Agent(w, "tls-expired", [url], extra=f"  tls: {{ca: {pki['ca.pem']}, cert: {pki['expired.pem']}, key: {pki['expired.key']}}}\n").start()
    try:
        host.wait_for(lambda ms: any(m.type == "NBIRTH" and m.topic.endswith("/tls-good") for m in ms), what="the good agent's birth")
        for soname in ("libmosquitto.so.1", "libssl.so.3", "libcrypto.so.3"):
            assert maps_library(good, soname), f"{soname} is not mapped"
        for bad in (wrong_ca, expired):
            bad.wait_metric("fieldagent_uplink_connects_total", lambda v: v == 0)
            deadline = time.time() + 15
            while "failed attempts 0" in bad.status() and time.time() < deadline:
                time.sleep(0.1)
            status = bad.status()
            assert "uplink: offline" in status and "failed attempts 0" not in status, status
        time.sleep(1)
        assert not any(m.type == "NBIRTH" and not m.topic.endswith("/tls-good") for m in host.snapshot()), "a bad agent was born"
        assert good.metrics()["fieldagent_uplink_connected"] == 1
    finally:
        for a in (good, wrong_ca, expired):
            a.kill()
        host.close(); broker.kill()


def test_tls_checks_the_host_name_of_the_url(w):
    """mqtts://localhost:PORT: the agent connects to the resolved address but checks the broker's certificate
    against the name 'localhost'. A certificate with only the DNS SAN 'localhost' (no IP SAN) is accepted; one for
    another name (broker.example) from the same CA is refused, with the reason in the log and in status."""
    pki = make_pki(w)
    good_broker = Broker(w, tls={"ca": pki["ca.pem"], "cert": pki["localhost.pem"], "key": pki["localhost.key"]}, name="mosquitto-localhost")
    other_broker = Broker(w, tls={"ca": pki["ca.pem"], "cert": pki["elsewhere.pem"], "key": pki["elsewhere.key"]}, name="mosquitto-elsewhere")
    # The test's host application connects to 127.0.0.1 with the chain checked, not the name.
    host = Host("scada", GROUP, good_broker.port, tls={"ca": pki["ca.pem"], "cert": pki["client.pem"], "key": pki["client.key"], "check_hostname": False})
    tls = f"  tls: {{ca: {pki['ca.pem']}, cert: {pki['client.pem']}, key: {pki['client.key']}}}\n"
    good = Agent(w, "tls-name", [f"mqtts://localhost:{good_broker.port}"], extra=tls).start()
    wrong = Agent(w, "tls-wrong-name", [f"mqtts://localhost:{other_broker.port}"], extra=tls).start()
    try:
        host.wait_for(lambda ms: any(m.type == "NBIRTH" and m.topic.endswith("/tls-name") for m in ms), what="the birth through mqtts://localhost")
        assert good.metrics()["fieldagent_uplink_connected"] == 1
        deadline = time.time() + 15
        while "does not name localhost" not in wrong.tail() and time.time() < deadline:
            time.sleep(0.1)
        assert "the broker's certificate does not name localhost" in wrong.tail(), wrong.tail()
        assert "does not name localhost" in wrong.status(), wrong.status()
        assert wrong.metrics()["fieldagent_uplink_connects_total"] == 0
    finally:
        for a in (good, wrong):
            a.kill()
        host.close(); good_broker.kill(); other_broker.kill()


class Machine:
    """fieldagent machine: the simulated machine's Modbus TCP sensors at a fixed severity, without noise."""

    def __init__(self, workdir, port, severity):
        self.log = open(os.path.join(workdir, f"machine-{port}.log"), "a")
        self.proc = subprocess.Popen([FIELDAGENT, "machine", "--port", str(port), "--bind", "127.0.0.1", "--severity", str(severity),
                                      "--noise", "0"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"fieldagent machine did not start on port {port}")
                time.sleep(0.05)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


MODEL_FEATURES = ["vibration_rms_g", "vibration_peak_g", "vibration_crest", "vibration_kurtosis", "vibration_high_band",
                  "dominant_frequency_hz", "bearing_temperature_c", "temperature_rise_c", "motor_current_a",
                  "current_imbalance_pct", "speed_rpm", "power_factor"]


def test_model_metrics_are_born_and_updated(w):
    """The agent's three models (Models/models.yaml: classifier, anomaly autoencoder, RUL regression) on the
    simulated machine: the host sees Model/Class, Model/Anomaly/machine_anomaly/{Score,Level} and
    Model/Estimate/machine_rul/rul in NBIRTH; the machine goes from healthy to fault and the host sees them
    change in NDATA: class fault, anomaly level alarm with a higher score, less remaining life."""
    port = free_port()
    machine = Machine(w, port, 0)
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    features = "".join(f'  - {{name: {n}, from: "machine.values[{i}]"}}\n' for i, n in enumerate(MODEL_FEATURES))
    extra = f"""  connect_timeout: 2s
modbus:
  - name: machine
    endpoint: tcp://127.0.0.1:{port}
    timeout: 200ms
    retries: 0
    points:
      - {{name: values, table: input, address: 0, count: 12, type: float32, poll: 100ms}}
features:
{features}decide:
  every: 200ms
  confirm: 2
  min_dwell: 1s
  anomaly: {{model: machine_anomaly, confirm: 2}}
  estimate: [machine_rul]
  actions:
    normal: [lamp off]
    degraded: [lamp on]
    fault: [lamp on]
"""
    agent = Agent(w, "models", [f"mqtt://127.0.0.1:{broker.port}"], extra=extra).start()
    tracker = Tracker("models")
    score, level, rul = "Model/Anomaly/machine_anomaly/Score", "Model/Anomaly/machine_anomaly/Level", "Model/Estimate/machine_rul/rul"

    def latest(ms, name):
        values = [v for (n, v, ts, hist, dev) in tracker.analyse(ms)[1] if n == name and v is not None]
        return values[-1] if values else None
    try:
        birth = host.wait_for(lambda ms: [m for m in ms if m.type == "NBIRTH" and m.topic.endswith("/models")], what="NBIRTH")[0]
        born = {x.name for x in birth.metrics()}
        for name in ("Model/Class", "Model/Score", score, level, rul):
            assert name in born, f"{name} not in NBIRTH: {sorted(born)}"
        host.wait_for(lambda ms: latest(ms, level) == "normal" and latest(ms, "Model/Class") == "normal" and latest(ms, rul) is not None,
                      what="a healthy machine: class normal, anomaly level normal, a RUL", timeout=20)
        healthy = host.snapshot()
        healthy_score, healthy_rul = latest(healthy, score), latest(healthy, rul)
        machine.kill()
        machine = Machine(w, port, 1)
        host.wait_for(lambda ms: latest(ms, "Model/Class") == "fault" and latest(ms, level) == "alarm", what="class fault, anomaly alarm", timeout=20)
        faulty = host.snapshot()
        assert latest(faulty, score) > healthy_score, (healthy_score, latest(faulty, score))
        assert latest(faulty, rul) < healthy_rul, (healthy_rul, latest(faulty, rul))
    finally:
        agent.kill(); machine.kill(); host.close(); broker.kill()


def dedup_in_order(values):
    """The samples with the documented duplicates removed (a message the broker got without its PUBACK reaching
    the agent is sent again: same sample, same timestamp); fails on any other disorder."""
    out = []
    for v in values:
        if out and v <= out[-1]:
            assert v >= out[0], f"sample {v} out of order after {out[-1]}"
            continue
        out.append(v)
    return out


def test_nats_cluster_failover(w):
    """Three NATS servers clustered (JetStream, MQTT on each). The host application is on node 3; the agent lists
    all three (and starts with node 1). The node it is on is killed: the agent fails over, re-births on another node, replays what
    it buffered, and the host sees every sample once and in order (documented duplicates aside)."""
    nats = os.environ.get("NATS_SERVER")
    if not nats:
        print("skip test_nats_cluster_failover: NATS_SERVER not set (make test-uplink sets it)")
        return
    cluster = NatsCluster(w, os.path.abspath(nats))
    host = Host("scada", GROUP, cluster.nodes[2]["mqtt"])
    host.online()
    urls = [f"mqtt://127.0.0.1:{n['mqtt']}" for n in cluster.nodes]
    # A node that lost a peer answers CONNECT only once JetStream has a leader again: give it connect_timeout 10s.
    agent = Agent(w, "fleet", urls, extra="  primary_host: scada\n  connect_timeout: 10s\n").start()
    tracker = Tracker("fleet")
    try:
        host.wait_for(lambda ms: len(counters(tracker.analyse(ms)[1])) >= 10, what="10 samples through the cluster")
        on = [i for i, u in enumerate(urls) if f"online via {u}" in agent.status()]
        assert len(on) == 1 and on[0] != 2, f"the agent should be on node 1 or 2, not the host's: {agent.status()}"
        cluster.kill(cluster.nodes[on[0]])
        host.wait_for(lambda ms: len(tracker.analyse(ms)[0]) >= 2, timeout=60, what="the rebirth on another node")
        agent.wait_metric("fieldagent_uplink_buffer_bytes", lambda v: v == 0)
        host.wait_for(lambda ms: len([x for x in tracker.analyse(ms)[1] if not x[3] and x[0] == COUNTER]) >= 15, what="live data after failover")
        births, samples = tracker.analyse(host.snapshot())
        assert births[0] != births[1], f"the new session has a new bdSeq: {births}"
        assert "online via mqtt://127.0.0.1:" in agent.status() and f"online via {urls[on[0]]}" not in agent.status()
        values = counters(samples)
        unique = dedup_in_order(values)
        assert_contiguous(unique, what="samples across the failover")
        print(f"     failover: {len(values)} samples seen, {len(values) - len(unique)} documented duplicates")
    finally:
        agent.kill(); host.close(); cluster.stop()


def test_devices_are_born_and_die_with_their_links(w):
    """Agent B polls agent A as a peer and as a Modbus device (A's register map over Modbus TCP): each is a
    Sparkplug device of B, with DBIRTH once its link is up, DDATA, DDEATH when A is killed, DBIRTH again when A
    is back; seq stays continuous over all of it."""
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    port = free_port()
    a = Agent(w, "line-a", [f"mqtt://127.0.0.1:{broker.port}"])
    with open(a.config) as f:
        text = f.read()
    with open(a.config, "w") as f:
        f.write(text.split("uplink:")[0] + f"server: {{bind: 127.0.0.1, port: {port}}}\n")
    a.start()
    devices = (f"modbus:\n  - name: press\n    endpoint: tcp://127.0.0.1:{port}\n    timeout: 200ms\n    retries: 0\n    stale_after: 600ms\n"
               f"    points:\n      - {{name: status, table: input, address: 0, count: 2, poll: 200ms}}\n"
               f"peers:\n  - {{name: line-a, host: 127.0.0.1, port: {port}, interval: 200ms, timeout: 200ms, down_after: 2}}\n")
    b = Agent(w, "line-b", [f"mqtt://127.0.0.1:{broker.port}"])
    with open(b.config) as f:
        text = f.read()
    with open(b.config, "w") as f:
        f.write(devices + text)
    b.start()
    tracker = Tracker("line-b")
    try:
        def of(kind, device):
            return lambda ms: [m for m in ms if m.type == kind and m.device == device and m.topic.split("/")[3] == "line-b"]
        for dev in ("press", "line-a"):
            host.wait_for(of("DBIRTH", dev), what=f"DBIRTH {dev}")
        birth = of("DBIRTH", "line-a")(host.snapshot())[0]
        assert {x.name for x in birth.metrics()} == {"Link", "Class", "Confidence"}, birth.metrics()
        assert {x.name: value_of(x) for x in birth.metrics()}["Link"] == "up"
        a.kill()
        for dev in ("press", "line-a"):
            host.wait_for(of("DDEATH", dev), what=f"DDEATH {dev}")
        a.start()
        for dev in ("press", "line-a"):
            host.wait_for(lambda ms: len(of("DBIRTH", dev)(ms)) >= 2, what=f"DBIRTH {dev} again")
        tracker.analyse(host.snapshot())   # seq continuity over births, deaths and data
    finally:
        b.kill(); a.kill(); host.close(); broker.kill()


def test_beyond_the_bound_the_oldest_are_dropped_and_counted(w):
    """No broker while a 64 KiB buffer overflows: the oldest records are dropped and counted; once a broker and
    the host are there, the host gets exactly the newest samples, contiguous, starting right after the dropped ones."""
    port = free_port()
    agent = Agent(w, "bound", [f"mqtt://127.0.0.1:{port}"], interval="5ms", extra="  primary_host: scada\n  buffer: 64KiB\n").start()
    tracker = Tracker("bound")
    try:
        agent.wait_metric("fieldagent_uplink_dropped_total", lambda v: v >= 100, timeout=60)
        assert agent.metrics()["fieldagent_uplink_buffer_bytes"] <= 64 * 1024
        broker = Broker(w, port=port)
        host = Host("scada", GROUP, broker.port)
        host.online()
        agent.wait_metric("fieldagent_uplink_buffer_bytes", lambda v: v == 0)
        dropped = int(agent.metrics()["fieldagent_uplink_dropped_total"])
        host.wait_for(lambda ms: len([x for x in tracker.analyse(ms)[1] if not x[3] and x[0] == COUNTER]) >= 3, what="live data")
        values = counters(tracker.analyse(host.snapshot())[1])
        assert_contiguous(values, start=dropped + 1, what=f"the samples kept (after {dropped} dropped)")
        host.close(); broker.kill()
    finally:
        agent.kill()


def test_primary_host_offline_ends_the_session_until_it_is_back(w):
    """The primary host's STATE goes offline: the node publishes NDEATH (its bdSeq), disconnects, connects again
    and sends no data; samples wait on disk; the host comes back online: NBIRTH with the new connection's bdSeq,
    the waiting samples as historical data, nothing lost."""
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    host.online()
    agent = Agent(w, "state", [f"mqtt://127.0.0.1:{broker.port}"], extra="  primary_host: scada\n").start()
    tracker = Tracker("state")
    try:
        host.wait_for(lambda ms: len(counters(tracker.analyse(ms)[1])) >= 5, what="data")
        host.offline()
        death = host.wait_for(lambda ms: [m for m in ms if m.type == "NDEATH"], what="NDEATH after STATE offline")[0]
        births, _ = tracker.analyse(host.snapshot())
        assert {x.name: value_of(x) for x in death.metrics()}["bdSeq"] == births[0]
        # Sparkplug 3.0: after NDEATH the node disconnects (cleanly: the broker publishes no Will, so one NDEATH),
        # connects again (a new bdSeq) and waits there for the host's STATE online.
        agent.wait_metric("fieldagent_uplink_connects_total", lambda v: v >= 2)
        assert agent.metrics()["fieldagent_uplink_connected"] == 0
        agent.wait_metric("fieldagent_uplink_buffered", lambda v: v >= 10)
        assert len([m for m in host.snapshot() if m.type == "NDEATH"]) == 1, "the Will was published too: no clean DISCONNECT"
        seen = len(host.snapshot())
        time.sleep(0.3)
        after_death = [m for m in host.snapshot()[seen:] if m.type in ("NDATA", "NBIRTH")]
        assert not after_death, f"data while the primary host is offline: {after_death}"
        host.online()
        agent.wait_metric("fieldagent_uplink_buffer_bytes", lambda v: v == 0)
        host.wait_for(lambda ms: len(tracker.analyse(ms)[0]) >= 2, what="the birth after STATE online")
        births, _ = tracker.analyse(host.snapshot())
        assert births[1] == (births[0] + 1) % 256, f"the re-birth is not on a new connection (bdSeq {births})"
        host.wait_for(lambda ms: len([x for x in tracker.analyse(ms)[1] if not x[3] and x[0] == COUNTER]) >= 8, what="live data again")
        _, samples = tracker.analyse(host.snapshot())
        assert any(x[3] for x in samples), "the samples kept while the host was away come as historical"
        assert_contiguous(dedup_in_order(counters(samples)), what="samples across the host's absence")
    finally:
        agent.kill(); host.close(); broker.kill()


TESTS = [test_births_seq_and_data, test_broker_killed_mid_stream_loses_nothing, test_agent_sigkill_during_outage_keeps_the_buffer,
         test_rebirth_and_commands_through_the_gate, test_slow_broker_is_left_and_gpio_path_is_unaffected,
         test_tls_verifies_both_ways, test_tls_checks_the_host_name_of_the_url, test_devices_are_born_and_die_with_their_links,
         test_beyond_the_bound_the_oldest_are_dropped_and_counted, test_primary_host_offline_ends_the_session_until_it_is_back,
         test_model_metrics_are_born_and_updated,
         test_nats_cluster_failover]


def main():
    global FIELDAGENT
    FIELDAGENT = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    failed = 0
    for t in TESTS:
        if wanted and t.__name__ not in wanted:
            continue
        w = tempfile.mkdtemp(prefix="fa-uplink-")
        start = time.time()
        try:
            t(w)
            print(f"ok   {t.__name__} ({time.time() - start:.1f}s)")
            shutil.rmtree(w, ignore_errors=True) if not os.environ.get("KEEP") else None
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.time() - start:.1f}s); logs in {w}")
            traceback.print_exc()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
