import EventLoop
import Glibc

/// A Modbus RTU server (slave) on a serial line, on the loop: answers requests for its unit id from a
/// ``RegisterMap``. Used by `fieldagent modbus serve --rtu` (a simulated sensor on a pty) and for peers on RS-485.
///
/// Frames are cut by ``RTUFramer``; a request whose length cannot be known from its function code is ended by
/// 3.5 characters of silence, measured with a loop timer. Broadcasts (unit 0) are applied and not answered.
public final class ModbusRTUServer {
    /// The line.
    public let settings: SerialSettings
    /// The unit id answered.
    public let unit: UInt8
    /// Requests answered (broadcasts are applied but not counted).
    public private(set) var requests = 0
    /// Exception responses sent.
    public private(set) var exceptions = 0
    /// Bytes dropped as noise by the framer.
    public var discardedBytes: Int { framer.discardedBytes }

    private let loop: EventLoop
    private var handler: RequestHandler
    private let logger: Logger
    private var fd: Int32 = -1
    private var framer = RTUFramer(role: .requests)
    private var silenceTimer: TimerID?
    private var chunk = [UInt8](repeating: 0, count: 256)
    private var output: [UInt8] = []

    public init(loop: EventLoop, settings: SerialSettings, unit: UInt8, map: RegisterMap, logger: Logger = .silent,
                authorize: WriteAuthorizer? = nil) {
        self.loop = loop
        self.settings = settings
        self.unit = unit
        self.handler = RequestHandler(map: map, authorize: authorize)
        self.logger = logger
    }

    deinit { stop() }

    /// Opens the port and starts answering.
    public func start() throws(SystemError) {
        fd = try SerialPort.open(settings)
        do {
            try loop.watch(fd, for: .readable) { [unowned self] _ in self.readable() }
        } catch {
            close(fd)
            fd = -1
            throw error
        }
        logger.info("modbus.rtu-server.listening", ["device": settings.device, "unit": unit])
    }

    /// Closes the port.
    public func stop() {
        if let t = silenceTimer { loop.cancel(t) }
        if fd >= 0 {
            loop.unwatch(fd)
            close(fd)
            fd = -1
        }
    }

    /// Sets what FC 43 / MEI 14 (Read Device Identification) answers; nil (the default) refuses it with illegal
    /// function.
    public func setIdentity(_ identity: DeviceIdentification?) {
        handler.identity = identity
    }

    private func readable() {
        let n = chunk.withUnsafeMutableBytes { raw in
            // raw is this server's 256-byte read buffer.
            read(fd, raw.baseAddress!, raw.count)
        }
        if n <= 0 {
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            // A pty whose master side is gone; wait for it to come back rather than spin.
            logger.warning("modbus.rtu-server.line-closed", ["device": settings.device])
            stop()
            return
        }
        framer.append(chunk[0..<n])
        while let frame = framer.nextFrame() { answer(frame) }
        if let t = silenceTimer { loop.cancel(t) }
        silenceTimer = loop.schedule(after: settings.interFrameDelay) { [weak self] in
            guard let self else { return }
            self.silenceTimer = nil
            while let frame = self.framer.endOfFrame() { self.answer(frame) }
        }
    }

    private func answer(_ frame: RTUFrame) {
        guard frame.unit == unit || frame.unit == 0 else { return }
        output.removeAll(keepingCapacity: true)
        output.append(unit)
        let client = ModbusClientInfo(host: "rtu:\(settings.device)", port: 0, connectionID: 0)
        let action = handler.handle(pdu: frame.pdu[...], unit: frame.unit, client: client, into: &output)
        guard frame.unit != 0 else { return }
        switch action {
        case .close: return
        case .replyException: exceptions += 1
        case .reply: break
        }
        requests += 1
        CRC16.append(to: &output)
        // A reply is at most 256 bytes, which the tty's output buffer takes whole.
        _ = output.withUnsafeBytes { raw in write(fd, raw.baseAddress!, raw.count) }
    }
}
