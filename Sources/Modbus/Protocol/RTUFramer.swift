/// Where a **Modbus RTU frame** is parsed: an incremental framer for a serial byte stream.
///
/// Feed it bytes as they arrive (``append(_:)``) and take complete frames (``nextFrame()``). RTU has no length
/// field, so the frame's length is derived from the function code (and byte count) for the side of the
/// conversation being read, then confirmed by the CRC. Bytes that cannot start a valid frame (line noise,
/// the tail of a frame we missed, another master's traffic) are dropped one at a time until the stream
/// resynchronises, and counted in ``discardedBytes``. The buffer never exceeds ``maxFrameSize``.
public struct RTUFramer: Sendable {
    /// Which side of the conversation the bytes are.
    public enum Role: Sendable {
        /// Requests from a master (we are the server).
        case requests
        /// Responses from servers (we are the master).
        case responses
    }

    /// The largest RTU frame (unit + 253-byte PDU + CRC).
    public static let maxFrameSize = 256

    public let role: Role
    private var buffer: [UInt8] = []
    private var expectedUnit: UInt8?
    private var expectedFunction: UInt8?
    /// Bytes dropped as not belonging to any valid frame.
    public private(set) var discardedBytes = 0

    public init(role: Role) {
        self.role = role
        buffer.reserveCapacity(Self.maxFrameSize)
    }

    /// Bytes buffered toward the next frame.
    public var bufferedCount: Int { buffer.count }

    /// (Responses only) Accept only frames from `unit` answering `function`; anything else is dropped as noise.
    public mutating func expect(unit: UInt8, function: FunctionCode) {
        expectedUnit = unit
        expectedFunction = function.rawValue
    }

    /// Adds received bytes.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        for b in bytes {
            if buffer.count >= Self.maxFrameSize { discard(1) }
            buffer.append(b)
        }
    }

    /// Drops everything buffered (counted as discarded).
    public mutating func reset() {
        discard(buffer.count)
    }

    /// The next complete frame with a valid CRC, or nil until more bytes arrive.
    public mutating func nextFrame() -> RTUFrame? {
        while buffer.count >= 2 {
            if let unit = expectedUnit, let function = expectedFunction,
               buffer[0] != unit || buffer[1] & 0x7F != function {
                discard(1)
                continue
            }
            switch frameLength() {
            case .needMore:
                return nil
            case .unknown:
                // A response can only carry a function we send: anything else is noise. A request with an
                // unknown function is real (it gets an exception) but only the silence after it delimits it.
                if role == .responses {
                    discard(1)
                    continue
                }
                return nil
            case .length(let n):
                guard n <= Self.maxFrameSize else {
                    discard(1)
                    continue
                }
                guard buffer.count >= n else { return nil }
                if CRC16.isValid(buffer[0..<n]) {
                    let frame = RTUFrame(unit: buffer[0], pdu: Array(buffer[1..<(n - 2)]))
                    buffer.removeFirst(n)
                    return frame
                }
                discard(1)
            }
        }
        return nil
    }

    /// The line has been silent for 3.5 character times, so nothing buffered continues: returns the first valid
    /// frame in what is buffered (dropping bytes before it as garbage), or nil and an empty buffer. Needed for
    /// function codes whose length the framer cannot know, and to resynchronise after noise that looked like a
    /// long frame's header. Call it again until it returns nil to drain every frame.
    public mutating func endOfFrame() -> RTUFrame? {
        while !buffer.isEmpty {
            if let frame = nextFrame() { return frame }
            if buffer.count >= 4, CRC16.isValid(buffer) {
                let frame = RTUFrame(unit: buffer[0], pdu: Array(buffer[1..<(buffer.count - 2)]))
                buffer.removeAll(keepingCapacity: true)
                return frame
            }
            discard(1)
        }
        return nil
    }

    private enum Length { case needMore, unknown, length(Int) }

    private func frameLength() -> Length {
        let function = buffer[1]
        switch role {
        case .requests:
            switch function {
            case 1...6: return .length(8)
            case 22: return .length(10)
            case 15, 16: return buffer.count >= 7 ? .length(9 + Int(buffer[6])) : .needMore
            case 23: return buffer.count >= 11 ? .length(13 + Int(buffer[10])) : .needMore
            // Read Device Identification: unit, 43, MEI 14, read code, object id, CRC. Other MEI types: silence.
            case 43: return buffer.count >= 3 ? (buffer[2] == 14 ? .length(7) : .unknown) : .needMore
            default: return .unknown
            }
        case .responses:
            if function & 0x80 != 0 { return .length(5) }
            switch function {
            case 1...4, 23: return buffer.count >= 3 ? .length(5 + Int(buffer[2])) : .needMore
            case 5, 6, 15, 16: return .length(8)
            case 22: return .length(10)
            case 43: return deviceIdentificationLength()
            default: return .unknown
            }
        }
    }

    /// The length of a Read Device Identification answer (FC 43 / MEI 14): unit, 43, 14, read code, conformity,
    /// more follows, next object id, object count, then per object its id, length and bytes; CRC. Walked object
    /// by object as bytes arrive; a length past ``maxFrameSize`` is reported as such (and dropped as noise).
    private func deviceIdentificationLength() -> Length {
        guard buffer.count >= 3 else { return .needMore }
        guard buffer[2] == 14 else { return .unknown }
        guard buffer.count >= 8 else { return .needMore }
        var end = 8
        for _ in 0..<Int(buffer[7]) {
            guard end + 2 <= buffer.count else { return .needMore }
            end += 2 + Int(buffer[end + 1])
            if end + 2 > Self.maxFrameSize { return .length(end + 2) }
        }
        return .length(end + 2)
    }

    private mutating func discard(_ n: Int) {
        let n = min(n, buffer.count)
        buffer.removeFirst(n)
        discardedBytes += n
    }
}
