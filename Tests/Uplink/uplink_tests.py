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
from sparkplug_host import Broker, Host, Tracker, free_port, value_of  # noqa: E402

FIELDAGENT = None
GROUP = "plant-test"
COUNTER = "Node Info/Sample"


class Agent:
    """fieldagent run with a config written for the test; inputs driven through the mock chip's socket."""

    def __init__(self, workdir, name, brokers, extra="", state=None, interval="100ms"):
        self.workdir = workdir
        self.name = name
        self.config = os.path.join(workdir, f"{name}.yaml")
        self.mock = os.path.join(workdir, f"{name}.mock.sock")
        self.status_path = os.path.join(workdir, f"{name}.status.sock")
        self.state = state or os.path.join(workdir, f"{name}-state")
        os.makedirs(self.state, exist_ok=True)
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
  max_interval: 10s
  backoff_min: 200ms
  backoff_max: 1s
  connect_timeout: 2s
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

def test_births_seq_and_data(w):
    """NBIRTH first (seq 0, bdSeq, Node Control/Rebirth, every node metric with an alias), then NDATA by alias with
    seq continuing 1, 2, … (mod 256); an input edge appears as data; a clean stop publishes NDEATH with the bdSeq."""
    broker = Broker(w)
    host = Host("scada", GROUP, broker.port)
    agent = Agent(w, "births", [f"mqtt://127.0.0.1:{broker.port}"], interval="20ms").start()
    try:
        tracker = Tracker("births")
        host.wait_for(lambda ms: len(counters(tracker.analyse(ms)[1])) >= 30, what="30 samples")
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
        agent.wait_metric("fieldagent_uplink_buffered", lambda v: v == 0)
        host2.wait_for(lambda ms: len([x for x in tracker.analyse(ms)[1] if not x[3]]) >= 5, what="live data after the replay")
        b1, s1 = tracker.analyse(before)
        b2, s2 = tracker.analyse(host2.snapshot())
        # bdSeq counts every CONNECT (failed attempts during the outage too): a new session has a new bdSeq.
        assert b2[0] != b1[0], f"bdSeq after reconnect {b2[0]}, before {b1[0]}"
        hist = [x for x in s2 if x[3]]
        assert hist, "nothing replayed as historical"
        first_live = next(i for i, x in enumerate(s2) if not x[3] and x[0] == COUNTER)
        assert all(x[3] for x in s2[:first_live] if x[0] == COUNTER), "historical data must come before live data"
        seen = counters(s1) + counters(s2)
        # Duplicates allowed only for samples the dead broker received without its PUBACK reaching the agent.
        dedup = []
        for v in seen:
            if not dedup or v > dedup[-1]:
                dedup.append(v)
            else:
                assert v <= dedup[-1], "out of order"
        assert_contiguous(dedup, what="samples across the outage")
        ts = [x[2] for x in s1 + s2 if x[0] == COUNTER]
        assert all(a <= b for a, b in zip(ts, ts[1:])), "timestamps go backwards"
        host2.close()
    finally:
        agent.kill(); broker.kill()


TESTS = [test_births_seq_and_data, test_broker_killed_mid_stream_loses_nothing]


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
            shutil.rmtree(w, ignore_errors=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.time() - start:.1f}s); logs in {w}")
            traceback.print_exc()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
