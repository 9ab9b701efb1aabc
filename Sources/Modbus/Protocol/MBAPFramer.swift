/// Where a **Modbus TCP frame** is parsed: finds the next complete MBAP frame in a byte stream.
///
/// Stateless: the connection keeps its bytes and asks again when more arrive. A header with a protocol id
/// other than 0 or a length outside 2…254 is malformed, and the server closes the connection (nothing in
/// the stream can be trusted after it). So a frame is never longer than 260 bytes, which bounds every buffer.
public enum MBAPFramer {
    /// The largest frame: header plus a 253-byte PDU.
    public static let maxFrameSize = MBAPHeader.size - 1 + MBAPHeader.maxLength

    /// What the bytes at the front of a stream hold.
    public enum Result: Equatable, Sendable {
        /// Not a whole frame yet: read more.
        case incomplete
        /// A frame: its header and the range of its PDU in the buffer; `frameEnd` is where the next one starts.
        case frame(MBAPHeader, pdu: Range<Int>, frameEnd: Int)
        /// The header cannot be valid; says why.
        case malformed(String)
    }

    /// Looks for a frame in `buffer[start..<end]` (`end` defaults to the buffer's end).
    public static func next(in buffer: [UInt8], from start: Int, to end: Int? = nil) -> Result {
        let end = end ?? buffer.count
        let available = end - start
        // Check the protocol id and length as soon as they arrive, not only once the whole header is there.
        if available >= 4 {
            let protocolID = buffer.word(at: start + 2)
            guard protocolID == 0 else { return .malformed("protocol id \(protocolID), expected 0") }
        }
        guard available >= 6 else { return .incomplete }
        let length = buffer.word(at: start + 4)
        guard Int(length) >= MBAPHeader.minLength && Int(length) <= MBAPHeader.maxLength else {
            return .malformed("length \(length) outside \(MBAPHeader.minLength)…\(MBAPHeader.maxLength)")
        }
        let frameEnd = start + 6 + Int(length)
        guard end >= frameEnd else { return .incomplete }
        let header = MBAPHeader(transaction: buffer.word(at: start), protocolID: 0, length: length, unit: buffer[start + 6])
        return .frame(header, pdu: (start + MBAPHeader.size)..<frameEnd, frameEnd: frameEnd)
    }
}
