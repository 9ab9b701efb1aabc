#!/usr/bin/env python3
"""Adversaries for `make bench-modbus`: misbehaving clients of a Modbus TCP server, and an event source.

  modbus_adversaries.py PORT SECONDS | fieldagent modbus serve --port PORT --probe-stdin

While it runs: a client sends one byte every 100 ms, one connects and never sends, one keeps sending half a
frame and closing. Every 2 ms it writes 'T <CLOCK_MONOTONIC ns>' to stdout, which the server's loop reads
like a GPIO edge; the server prints the latency percentiles when stdout closes.
"""
import os
import socket
import sys
import threading
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
request = bytes([0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10])
stop = time.monotonic() + seconds


def connect():
    deadline = time.monotonic() + 20
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def trickler():
    s = connect()
    while time.monotonic() < stop:
        for b in request:
            s.send(bytes([b]))
            time.sleep(0.1)


def mute():
    s = connect()
    time.sleep(seconds + 1)


def mid_frame():
    while time.monotonic() < stop:
        s = connect()
        s.send(request[:5])
        s.close()
        time.sleep(0.01)


connect().close()  # the server is up
stop = time.monotonic() + seconds
for f in (trickler, mute, mid_frame):
    threading.Thread(target=f, daemon=True).start()
while time.monotonic() < stop:
    os.write(1, b"T %d\n" % time.monotonic_ns())
    time.sleep(0.002)
