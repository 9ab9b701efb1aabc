import EventLoop
import Glibc
import Modbus
import Testing

/// The loop stays responsive while Modbus peers misbehave: a GPIO-like event (a timestamp written into a pipe by
/// another process every 2 ms) must never wait for a peer while, on the same loop, the server has a client
/// trickling one byte every 100 ms, one that connects and never sends and one that keeps closing mid-frame, and
/// the poller polls an RTU sensor that never answers, a TCP sensor whose host drops packets and a device that
/// closes mid-answer.
@Suite struct AdversaryTests {
    static let adversaries = """
    import os, socket, sys, threading, time
    port, device_port, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    request = bytes([0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2])
    stop = time.monotonic() + seconds

    def trickler():
        s = socket.create_connection(("127.0.0.1", port))
        while time.monotonic() < stop:
            for b in request:
                s.send(bytes([b])); time.sleep(0.1)
                if time.monotonic() >= stop: return

    def mute():
        s = socket.create_connection(("127.0.0.1", port))
        time.sleep(seconds)

    def mid_frame():
        while time.monotonic() < stop:
            s = socket.create_connection(("127.0.0.1", port))
            s.send(request[:5]); s.close(); time.sleep(0.01)

    def half_answering_device():
        l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(("127.0.0.1", device_port)); l.listen(8); l.settimeout(0.2)
        while time.monotonic() < stop:
            try: c, _ = l.accept()
            except socket.timeout: continue
            c.settimeout(1)
            try:
                q = c.recv(260)
                if q: c.send(q[:2] + bytes([0, 0, 0, 7, q[6], 3, 4, 0]))
            except OSError: pass
            c.close()

    # One quiet second first: the same events without adversaries, to tell a loaded machine from a stalled loop.
    quiet = time.monotonic() + 1
    while time.monotonic() < quiet:
        os.write(1, b"B %d\\n" % time.monotonic_ns())
        time.sleep(0.002)
    stop = time.monotonic() + seconds
    for f in (trickler, mute, mid_frame, half_answering_device):
        threading.Thread(target=f, daemon=True).start()
    while time.monotonic() < stop:
        os.write(1, b"T %d\\n" % time.monotonic_ns())
        time.sleep(0.002)
    """

    @Test func aGPIOLikeEventNeverWaitsForAMisbehavingModbusPeer() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        guard let (socat, _, silentEnd) = try RTUInteropTests.ptyPair() else { return }
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 100)
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
        try server.start()

        // A TCP sensor whose host drops packets: a listener whose accept queue is full.
        let dropping = try TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!, backlog: 0)
        defer { close(dropping) }
        let droppingAddress = TCPSocket.localAddress(dropping)
        let fillers = (0..<4).compactMap { _ in try? TCPSocket.startConnect(to: droppingAddress) }
        defer { fillers.forEach { close($0) } }
        let halfPort = TestEnvironment.freePort()

        let fast = ModbusClientOptions(responseTimeout: .milliseconds(50), connectTimeout: .milliseconds(50), retries: 1,
                                       backoff: .milliseconds(10), maxBackoff: .milliseconds(50))
        let point = [ModbusPointConfig(name: "p", table: .holdingRegisters, address: 0, count: 2, codec: PointCodec(type: .uint16), pollInterval: .milliseconds(20))]
        let devices = [
            ModbusDeviceConfig(name: "silent-rtu", endpoint: .rtu(SerialSettings(device: silentEnd)), options: fast, points: point),
            ModbusDeviceConfig(name: "dropping-tcp", endpoint: .tcp(host: "127.0.0.1", port: droppingAddress.port), options: fast, points: point),
            ModbusDeviceConfig(name: "half-answer", endpoint: .tcp(host: "127.0.0.1", port: halfPort), options: fast, points: point),
            ModbusDeviceConfig(name: "good", endpoint: .tcp(host: "127.0.0.1", port: server.port), options: fast, points: point),
        ]
        let poller = try ModbusPoller(loop: loop, devices: devices)
        var goodSamples = 0
        poller.onSample = { if $0.device == "good" { goodSamples += 1 } }
        poller.start()

        let child = try ChildProcess(TestEnvironment.python, ["-c", Self.adversaries, "\(server.port)", "\(halfPort)", "3"])
        var latencies: [Duration] = []
        var baseline: [Duration] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        try loop.watch(child.outputFD, for: .readable) { _ in
            let arrived = loop.preciseNow()
            let n = buffer.withUnsafeMutableBytes { read(child.outputFD, $0.baseAddress, $0.count) }
            guard n > 0 else { return loop.unwatch(child.outputFD) }
            pending += buffer[0..<n]
            while let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                if line.hasPrefix("T "), let ns = Int64(line.dropFirst(2)) { latencies.append(arrived - Instant(nanoseconds: ns)) }
                if line.hasPrefix("B "), let ns = Int64(line.dropFirst(2)) { baseline.append(arrived - Instant(nanoseconds: ns)) }
            }
        }
        TestEnvironment.run(loop, timeout: .seconds(10)) { !child.isRunning }
        loop.unwatch(child.outputFD)
        let links = devices.map { poller.link(of: $0.name)?.state }
        poller.stop()

        #expect(latencies.count > 500, "adversary output: \(child.text)")
        let sorted = latencies.sorted()
        let p99 = sorted.isEmpty ? .zero : sorted[sorted.count * 99 / 100]
        let worst = sorted.last ?? .zero
        let quiet = baseline.sorted()
        let quietP99 = quiet.isEmpty ? .zero : quiet[quiet.count * 99 / 100]
        print("modbus adversaries: pipe event → handler p50 \(sorted.isEmpty ? 0 : sorted[sorted.count / 2].microseconds) µs, p99 \(p99.microseconds) µs, max \(worst.microseconds) µs over \(sorted.count) events; without adversaries p99 \(quietP99.microseconds) µs")
        // The 1 ms goal is a benchmark figure (make bench-adversaries, make bench-modbus), not asserted here: tests
        // run in parallel on shared machines. What is asserted is that the loop never waited for a peer: a blocking
        // read on the trickler (100 ms per byte) or a blocking wait for a silent device (50 ms timeouts) would
        // hold an event for 50 ms or more (under emulation, scaled by TestEnvironment.slowdown).
        #expect(worst < .milliseconds(50) * TestEnvironment.slowdown, "max \(worst) (p99 \(p99), quiet p99 \(quietP99))")
        #expect(goodSamples > 20, "the good device was polled \(goodSamples) times")
        #expect(links == [.down, .down, .down, .up])
        #expect(server.counters.requests > 0)
        withExtendedLifetime(socat) {}
    }
}
