import EventLoop
import Glibc

/// A Modbus RTU serial line for ``ModbusClient``: writes a request frame, then reads only what the port says
/// is there, framing it with ``RTUFramer`` (which drops noise and other units' traffic). A silent device costs
/// nothing but its timer.
final class SerialLink: ModbusLink {
    private let loop: EventLoop
    let settings: SerialSettings
    private var fd: Int32 = -1
    private var framer = RTUFramer(role: .responses)
    private var output: [UInt8] = []
    private var awaiting = false
    private var chunk = [UInt8](repeating: 0, count: 256)

    var onResponse: (UInt8, ArraySlice<UInt8>) -> Void = { _, _ in }
    var onBroken: (String) -> Void = { _ in }

    init(loop: EventLoop, settings: SerialSettings) {
        self.loop = loop
        self.settings = settings
    }

    deinit { close() }

    var isOpen: Bool { fd >= 0 }
    var problem: String? { nil }
    var waitingForAddress: Bool { false }
    var onLookupEnded: () -> Void = {}
    func shutdown() { close() }
    var turnaround: Duration { settings.interFrameDelay }

    /// Request and a maximal answer on the wire, plus the frame gaps.
    func wireTime(requestBytes: Int) -> Duration {
        settings.transmitTime(bytes: requestBytes + RTUFramer.maxFrameSize) + settings.interFrameDelay * 2
    }

    /// Discarded noise bytes so far.
    var discardedBytes: Int { framer.discardedBytes }

    func open(timeout: Duration, _ completion: @escaping (ModbusError?) -> Void) {
        close()
        do {
            fd = try SerialPort.open(settings)
            try loop.watch(fd, for: .readable) { [unowned self] events in self.handle(events) }
        } catch {
            close()
            loop.schedule(after: .zero) { completion(.connectFailed(error.description)) }
            return
        }
        loop.schedule(after: .zero) { completion(nil) }
    }

    func send(unit: UInt8, pdu: [UInt8], function: FunctionCode) -> ModbusError? {
        guard fd >= 0 else { return .disconnected("port closed") }
        framer.reset()
        framer.expect(unit: unit, function: function)
        awaiting = true
        output = [unit] + pdu
        CRC16.append(to: &output)
        flush()
        return fd >= 0 ? nil : .disconnected("write failed")
    }

    func abandon() {
        awaiting = false
        framer.reset()
    }

    func close() {
        if fd >= 0 {
            loop.unwatch(fd)
            Glibc.close(fd)
            fd = -1
        }
        awaiting = false
    }

    private func broken(_ reason: String) {
        close()
        onBroken(reason)
    }

    private func handle(_ events: IOEvents) {
        if events.contains(.writable) { flush() }
        guard fd >= 0, events.contains(.readable) || events.contains(.hangup) else { return }
        let n = chunk.withUnsafeMutableBytes { raw in
            // raw is this link's 256-byte read buffer.
            Glibc.read(fd, raw.baseAddress!, raw.count)
        }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            return broken("\(settings.device): \(SystemError.message(for: errno))")
        }
        if n == 0 {
            // A pty whose other end closed reads 0 forever; a real UART never does.
            return broken("\(settings.device): end of file")
        }
        guard awaiting else { return }  // noise between requests
        framer.append(chunk[0..<n])
        if let frame = framer.nextFrame() {
            awaiting = false
            onResponse(frame.unit, frame.pdu[...])
        }
    }

    private func flush() {
        while fd >= 0 && !output.isEmpty {
            let n = output.withUnsafeBytes { raw in
                // raw is the output buffer.
                Glibc.write(fd, raw.baseAddress!, raw.count)
            }
            if n > 0 {
                output.removeFirst(n)
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EAGAIN {
                break
            } else {
                return broken("\(settings.device): \(n < 0 ? SystemError.message(for: errno) : "write returned 0")")
            }
        }
        if fd >= 0 { try? loop.updateWatch(fd, for: output.isEmpty ? .readable : [.readable, .writable]) }
    }
}
