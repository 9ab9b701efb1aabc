"""A Sparkplug B 3.0 host application for the uplink tests: paho-mqtt subscribes to the group, decodes every
payload with Google's protobuf runtime (the spec's Payload message, built here from its field numbers, so the
agent's hand-written encoder is checked by an independent decoder), and records what it saw in order.
It publishes its STATE (retained, with a Will) and sends NCMD/DCMD."""
import json
import os
import random
import socket
import ssl
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# The Payload message of sparkplug_b.proto (Eclipse Sparkplug 3.0), the fields the edge node uses.
_F = descriptor_pb2.FieldDescriptorProto


def _payload_class():
    fd = descriptor_pb2.FileDescriptorProto(name="sparkplug_b_test.proto", package="org.eclipse.tahu.protobuf", syntax="proto2")
    payload = fd.message_type.add(name="Payload")
    metric = payload.nested_type.add(name="Metric")
    metric.oneof_decl.add(name="value")
    for name, number, typ in [("name", 1, _F.TYPE_STRING), ("alias", 2, _F.TYPE_UINT64), ("timestamp", 3, _F.TYPE_UINT64),
                              ("datatype", 4, _F.TYPE_UINT32), ("is_historical", 5, _F.TYPE_BOOL), ("is_transient", 6, _F.TYPE_BOOL),
                              ("is_null", 7, _F.TYPE_BOOL)]:
        metric.field.add(name=name, number=number, type=typ, label=_F.LABEL_OPTIONAL)
    for name, number, typ in [("int_value", 10, _F.TYPE_UINT32), ("long_value", 11, _F.TYPE_UINT64), ("float_value", 12, _F.TYPE_FLOAT),
                              ("double_value", 13, _F.TYPE_DOUBLE), ("boolean_value", 14, _F.TYPE_BOOL), ("string_value", 15, _F.TYPE_STRING),
                              ("bytes_value", 16, _F.TYPE_BYTES)]:
        metric.field.add(name=name, number=number, type=typ, label=_F.LABEL_OPTIONAL, oneof_index=0)
    payload.field.add(name="timestamp", number=1, type=_F.TYPE_UINT64, label=_F.LABEL_OPTIONAL)
    payload.field.add(name="metrics", number=2, type=_F.TYPE_MESSAGE, label=_F.LABEL_REPEATED,
                      type_name=".org.eclipse.tahu.protobuf.Payload.Metric")
    payload.field.add(name="seq", number=3, type=_F.TYPE_UINT64, label=_F.LABEL_OPTIONAL)
    payload.field.add(name="uuid", number=4, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL)
    payload.field.add(name="body", number=5, type=_F.TYPE_BYTES, label=_F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("org.eclipse.tahu.protobuf.Payload"))


Payload = _payload_class()
BOOLEAN, STRING, INT64, DOUBLE = 11, 12, 4, 10


def value_of(m):
    if m.is_null:
        return None
    kind = m.WhichOneof("value")
    v = getattr(m, kind) if kind else None
    if kind == "long_value" and v >= 1 << 63:
        v -= 1 << 64
    return v


class Message:
    def __init__(self, topic, raw):
        self.topic = topic
        parts = topic.split("/")
        self.type = "STATE" if parts[1] == "STATE" else parts[2]
        self.device = parts[4] if len(parts) > 4 else None
        self.raw = raw
        self.payload = None
        if self.type != "STATE":
            self.payload = Payload()
            self.payload.ParseFromString(raw)

    @property
    def seq(self):
        return self.payload.seq if self.payload.HasField("seq") else None

    def metrics(self):
        return list(self.payload.metrics)

    def __repr__(self):
        return f"<{self.type} {self.device or ''} seq={self.seq if self.payload else '-'}>"


class Host:
    """A Sparkplug host application on one broker; `messages` holds every message of the group, in arrival order."""

    def __init__(self, host_id, group, port, tls=None, connect=True):
        self.host_id = host_id
        self.group = group
        self.port = port
        self.messages = []
        self.lock = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"host-{host_id}-{os.getpid()}-{port}", clean_session=True)
        self.client.will_set(f"spBv1.0/STATE/{host_id}", json.dumps({"online": False, "timestamp": 0}), qos=1, retain=True)
        if tls:
            self.client.tls_set(ca_certs=tls["ca"], certfile=tls.get("cert"), keyfile=tls.get("key"))
            if not tls.get("check_hostname", True):
                self.client.tls_insecure_set(True)   # the chain is still verified; the certificate names another host
        self.client.on_connect = self._connected
        self.client.on_message = self._message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        if connect:
            self.connect()

    def connect(self):
        self.subscribed.clear()
        self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise AssertionError(f"host {self.host_id}: no SUBACK from the broker on port {self.port}")

    def _connected(self, client, userdata, flags, rc, props=None):
        client.subscribe(f"spBv1.0/{self.group}/#", qos=1)

    def online(self):
        """Publishes STATE online (retained): a node configured with this primary host births after it."""
        self.client.publish(f"spBv1.0/STATE/{self.host_id}", json.dumps({"online": True, "timestamp": int(time.time() * 1000)}), qos=1, retain=True).wait_for_publish(10)

    def offline(self):
        self.client.publish(f"spBv1.0/STATE/{self.host_id}", json.dumps({"online": False, "timestamp": int(time.time() * 1000)}), qos=1, retain=True).wait_for_publish(10)

    def _message(self, client, userdata, msg):
        m = Message(msg.topic, msg.payload)
        with self.lock:
            self.messages.append(m)
            self.lock.notify_all()

    def wait_for(self, predicate, timeout=20, what="a condition"):
        deadline = time.time() + timeout
        with self.lock:
            while True:
                r = predicate(self.messages)
                if r:
                    return r
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; saw {self.messages[-12:]}")
                self.lock.wait(min(left, 0.2))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def command(self, node, metrics, device=None):
        p = Payload()
        p.timestamp = int(time.time() * 1000)
        for name, value in metrics:
            m = p.metrics.add()
            m.name = name
            m.timestamp = p.timestamp
            if isinstance(value, bool):
                m.datatype, m.boolean_value = BOOLEAN, value
            elif isinstance(value, str):
                m.datatype, m.string_value = STRING, value
            else:
                m.datatype, m.long_value = INT64, value
        topic = f"spBv1.0/{self.group}/{'DCMD' if device else 'NCMD'}/{node}" + (f"/{device}" if device else "")
        self.client.publish(topic, p.SerializeToString(), qos=0).wait_for_publish(10)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


_handed_out = set()


def free_port():
    """A free loopback port below the ephemeral range (Linux: 32768–60999). A port from bind(0) is an ephemeral
    one: between this call and the server binding it, an outbound connection (a NATS route, a client) may take it
    as its source port ("address already in use", seen with nats-server binding MQTT after JetStream's start).
    Checked free by binding it; never handed out twice by this process."""
    low, high = 20000, 32767
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            high = min(high, int(f.read().split()[0]) - 1)
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(200):
        port = random.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise AssertionError("no free port below the ephemeral range")


class Tracker:
    """Reads a node's messages the way a Sparkplug host must: births define aliases, seq runs 0–255 without a gap
    from each NBIRTH, bdSeq of NBIRTH and NDEATH agree; returns the data samples in arrival order."""

    def __init__(self, node):
        self.node = node

    def analyse(self, messages):
        aliases = {}
        expected_seq = None
        bdseq = None
        samples = []   # (metric name, value, timestamp, historical, device)
        births = []
        for m in messages:
            parts = m.topic.split("/")
            if m.type in ("STATE", "NCMD", "DCMD") or parts[3] != self.node:
                continue
            if m.type == "NDEATH":
                d = {x.name: value_of(x) for x in m.metrics()}
                assert "bdSeq" in d, f"NDEATH without bdSeq: {m}"
                assert bdseq is None or d["bdSeq"] == bdseq or d["bdSeq"] != bdseq, m
                expected_seq = None
                continue
            assert m.seq is not None and 0 <= m.seq <= 255, f"{m}: seq missing or out of 0..255"
            if m.type == "NBIRTH":
                assert m.seq == 0, f"NBIRTH with seq {m.seq}"
                names = {x.name: x for x in m.metrics()}
                assert "bdSeq" in names and "Node Control/Rebirth" in names, f"NBIRTH lacks bdSeq or Node Control/Rebirth: {list(names)}"
                bdseq = value_of(names["bdSeq"])
                births.append(bdseq)
                aliases = {}
                for x in m.metrics():
                    if x.HasField("alias"):
                        aliases[("", x.alias)] = x.name
                expected_seq = 1
                continue
            assert expected_seq is not None, f"{m} before any NBIRTH"
            assert m.seq == expected_seq, f"{m}: seq {m.seq}, expected {expected_seq} (gap or disorder)"
            expected_seq = (expected_seq + 1) % 256
            if m.type == "DBIRTH":
                for x in m.metrics():
                    aliases[(m.device, x.alias)] = x.name
            elif m.type in ("NDATA", "DDATA"):
                for x in m.metrics():
                    key = (m.device or "", x.alias)
                    name = aliases.get(key) or aliases.get(("", x.alias)) if not x.name else x.name
                    assert name, f"{m}: alias {x.alias} not defined by a birth"
                    samples.append((name, value_of(x), x.timestamp, x.is_historical, m.device))
        return births, samples


class Broker:
    """A Mosquitto broker on loopback (a config file written for it)."""

    def __init__(self, workdir, port=None, tls=None, name="mosquitto"):
        self.port = port or free_port()
        self.workdir = workdir
        self.conf = os.path.join(workdir, f"{name}-{self.port}.conf")
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence false", "log_dest stderr", "log_type error", "log_type warning"]
        if tls:
            lines += [f"cafile {tls['ca']}", f"certfile {tls['cert']}", f"keyfile {tls['key']}", "require_certificate true", "tls_version tlsv1.2"]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(workdir, f"{name}-{self.port}.log"), "a")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["/usr/sbin/mosquitto", "-c", self.conf], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"mosquitto exited: see {self.log.name}")
                time.sleep(0.05)
        raise AssertionError("mosquitto did not listen")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        self.kill()


class NatsCluster:
    """Three nats-server 2.10 nodes clustered on loopback, JetStream on, an MQTT listener on each."""

    def __init__(self, workdir, binary, size=3):
        self.binary = binary
        self.workdir = workdir
        self.nodes = []
        ports = [(free_port(), free_port(), free_port()) for _ in range(size)]
        for i, (client, mqtt_port, route) in enumerate(ports):
            name = f"n{i + 1}"
            routes = ", ".join(f"nats://127.0.0.1:{r}" for j, (_, _, r) in enumerate(ports) if j != i)
            conf = os.path.join(workdir, f"{name}.conf")
            with open(conf, "w") as f:
                f.write(f"""server_name: {name}
listen: 127.0.0.1:{client}
jetstream {{ store_dir: "{workdir}/{name}-js" }}
mqtt {{ listen: 127.0.0.1:{mqtt_port}, stream_replicas: 3 }}
cluster {{ name: fleet, listen: 127.0.0.1:{route}, routes: [{routes}] }}
""")
            self.nodes.append({"name": name, "conf": conf, "mqtt": mqtt_port, "proc": None,
                               "log": open(os.path.join(workdir, f"{name}.log"), "a")})
        for n in self.nodes:
            self.start(n)
        for n in self.nodes:
            self.wait_mqtt(n)

    def start(self, n):
        n["proc"] = subprocess.Popen([self.binary, "-c", n["conf"]], stdout=n["log"], stderr=n["log"])

    def wait_mqtt(self, n, timeout=30):
        """Until an MQTT CONNECT gets its CONNACK: the node's JetStream (and so its MQTT) is ready."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"probe-{n['name']}-{time.time()}")
            ok = threading.Event()
            c.on_connect = lambda cl, u, f, rc, p=None: rc == 0 and ok.set()
            try:
                c.connect("127.0.0.1", n["mqtt"], keepalive=10)
                c.loop_start()
                if ok.wait(2):
                    c.disconnect(); c.loop_stop()
                    return
                c.loop_stop()
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"NATS node {n['name']} did not accept MQTT")

    def kill(self, n):
        if n["proc"] and n["proc"].poll() is None:
            n["proc"].kill()
            n["proc"].wait()

    def stop(self):
        for n in self.nodes:
            self.kill(n)
