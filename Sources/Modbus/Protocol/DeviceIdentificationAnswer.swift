/// A decoded FC 43 / MEI 14 answer: the objects of one response PDU and whether more follow.
public struct DeviceIdentificationAnswer: Sendable, Equatable {
    /// The read code the server echoed (1 basic, 2 regular, 3 extended, 4 one object).
    public var readCode: UInt8
    /// The server's conformity level byte.
    public var conformityLevel: UInt8
    /// The object id to ask for next, when the server said "more follows"; nil when the answer is complete.
    public var nextObjectId: UInt8?
    /// The objects in this answer, in the order sent.
    public var objects: [DeviceObject]

    /// One identification object: its id and its value bytes (ASCII by the specification, not checked).
    public struct DeviceObject: Sendable, Equatable {
        public var id: UInt8
        public var value: [UInt8]
        public init(id: UInt8, value: [UInt8]) { self.id = id; self.value = value }
        /// The value as text, with bytes outside printable ASCII shown as `?`.
        public var text: String { String(decoding: value.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self) }
    }

    public init(readCode: UInt8, conformityLevel: UInt8, nextObjectId: UInt8?, objects: [DeviceObject]) {
        self.readCode = readCode
        self.conformityLevel = conformityLevel
        self.nextObjectId = nextObjectId
        self.objects = objects
    }

    /// The text of object `id`, if the answer holds it.
    public func text(_ id: UInt8) -> String? { objects.first { $0.id == id }?.text }

    /// Decodes the response PDU (function code first) as `.response(.deviceIdentification)`, or `.malformed` with
    /// why the bytes are not a valid answer. Never traps: every length is checked against the bytes present.
    public static func decode(_ pdu: ArraySlice<UInt8>) -> ParsedResponse {
        guard pdu.count >= 7 else { return .malformed("device identification answer of \(pdu.count) bytes, at least 7 needed") }
        guard pdu.byte(at: 0) == FunctionCode.encapsulatedInterface.rawValue, pdu.byte(at: 1) == DeviceIdentification.meiType else {
            return .malformed("not a device identification answer (function \(pdu.byte(at: 0)), MEI \(pdu.byte(at: 1)))")
        }
        let more = pdu.byte(at: 4)
        guard more == 0x00 || more == 0xFF else { return .malformed("more-follows byte \(more), expected 0x00 or 0xFF") }
        let count = Int(pdu.byte(at: 6))
        var objects: [DeviceObject] = []
        var offset = 7
        for n in 0..<count {
            guard offset + 2 <= pdu.count else { return .malformed("object \(n + 1) of \(count) is missing") }
            let id = pdu.byte(at: offset), length = Int(pdu.byte(at: offset + 1))
            guard offset + 2 + length <= pdu.count else {
                return .malformed("object 0x\(String(id, radix: 16)) claims \(length) bytes, \(pdu.count - offset - 2) present")
            }
            objects.append(DeviceObject(id: id, value: Array(pdu[(pdu.startIndex + offset + 2)..<(pdu.startIndex + offset + 2 + length)])))
            offset += 2 + length
        }
        guard offset == pdu.count else { return .malformed("\(pdu.count - offset) bytes after the last object") }
        return .response(.deviceIdentification(DeviceIdentificationAnswer(
            readCode: pdu.byte(at: 2), conformityLevel: pdu.byte(at: 3),
            nextObjectId: more == 0xFF ? pdu.byte(at: 5) : nil, objects: objects)))
    }
}
