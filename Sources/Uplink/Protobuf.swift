/// Why a protobuf message could not be decoded.
public struct ProtobufError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Protobuf wire types.
enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

/// Appends protobuf fields to a byte buffer.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: UInt32, _ wire: WireType) { varint(UInt64(field) << 3 | UInt64(wire.rawValue)) }

    mutating func varintField(_ field: UInt32, _ v: UInt64) {
        tag(field, .varint)
        varint(v)
    }

    mutating func fixed64Field(_ field: UInt32, _ v: UInt64) {
        tag(field, .fixed64)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func bytesField(_ field: UInt32, _ b: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(b.count))
        bytes += b
    }
}

/// Reads protobuf fields from untrusted bytes; every read is bounds-checked.
struct ProtobufReader {
    private var data: ArraySlice<UInt8>

    init(_ data: ArraySlice<UInt8>) { self.data = data }

    /// The next field's number and wire type, or nil at the end.
    mutating func nextField() throws(ProtobufError) -> (UInt32, WireType)? {
        guard !data.isEmpty else { return nil }
        let key = try varint()
        guard let wire = WireType(rawValue: UInt8(key & 7)) else { throw ProtobufError("unsupported wire type \(key & 7)") }
        let field = key >> 3
        guard field > 0, field <= UInt64(UInt32.max >> 3) else { throw ProtobufError("field number \(field) out of range") }
        return (UInt32(field), wire)
    }

    mutating func varint() throws(ProtobufError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while let b = data.first {
            data = data.dropFirst()
            guard shift < 64 else { throw ProtobufError("varint longer than 10 bytes") }
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
        throw ProtobufError("varint cut short")
    }

    mutating func fixed64() throws(ProtobufError) -> UInt64 {
        guard data.count >= 8 else { throw ProtobufError("fixed64 cut short") }
        var v: UInt64 = 0
        for (i, b) in data.prefix(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        data = data.dropFirst(8)
        return v
    }

    mutating func fixed32() throws(ProtobufError) -> UInt32 {
        guard data.count >= 4 else { throw ProtobufError("fixed32 cut short") }
        var v: UInt32 = 0
        for (i, b) in data.prefix(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        data = data.dropFirst(4)
        return v
    }

    mutating func lengthDelimited() throws(ProtobufError) -> ArraySlice<UInt8> {
        let n = try varint()
        guard n <= UInt64(data.count) else { throw ProtobufError("length \(n) beyond the \(data.count) bytes left") }
        let out = data.prefix(Int(n))
        data = data.dropFirst(Int(n))
        return out
    }

    mutating func string() throws(ProtobufError) -> String {
        String(decoding: try lengthDelimited(), as: UTF8.self)
    }

    mutating func skip(_ wire: WireType) throws(ProtobufError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }
}
