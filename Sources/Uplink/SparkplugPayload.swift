/// The Sparkplug B `Payload` protobuf message (Eclipse Sparkplug 3.0, `sparkplug_b.proto`): encoded and decoded
/// by hand for the fields the edge node uses (timestamp, metrics, seq; a metric's name, alias, timestamp,
/// datatype, is_historical, is_null and scalar value). Unknown fields are skipped, as protobuf requires.
///
/// Decoding reads untrusted bytes from the broker: every length is bounds-checked and a malformed payload
/// is a ``ProtobufError``, never a trap.
public struct SparkplugPayload: Equatable, Sendable {
    /// Milliseconds since the Unix epoch.
    public var timestamp: UInt64?
    public var metrics: [SparkplugMetric]
    /// 0…255 on every message of a node but NDEATH (and STATE).
    public var seq: UInt64?

    public init(timestamp: UInt64? = nil, metrics: [SparkplugMetric] = [], seq: UInt64? = nil) {
        self.timestamp = timestamp
        self.metrics = metrics
        self.seq = seq
    }

    /// The protobuf encoding.
    public func encoded() -> [UInt8] {
        var w = ProtobufWriter()
        if let timestamp { w.varintField(1, timestamp) }
        for m in metrics {
            var mw = ProtobufWriter()
            Self.encode(m, into: &mw)
            w.bytesField(2, mw.bytes)
        }
        if let seq { w.varintField(3, seq) }
        return w.bytes
    }

    private static func encode(_ m: SparkplugMetric, into w: inout ProtobufWriter) {
        if let name = m.name { w.bytesField(1, Array(name.utf8)) }
        if let alias = m.alias { w.varintField(2, alias) }
        if let t = m.timestamp { w.varintField(3, t) }
        w.varintField(4, UInt64(m.value.dataType.rawValue))
        if m.isHistorical { w.varintField(5, 1) }
        switch m.value {
        case .int64(let v): w.varintField(11, UInt64(bitPattern: v))
        case .double(let v): w.fixed64Field(13, v.bitPattern)
        case .boolean(let v): w.varintField(14, v ? 1 : 0)
        case .string(let v): w.bytesField(15, Array(v.utf8))
        case .null: w.varintField(7, 1)
        }
    }

    /// Decodes a payload; metrics of data types the agent does not use keep their name with a null value.
    public static func decode(_ bytes: [UInt8]) throws(ProtobufError) -> SparkplugPayload {
        var r = ProtobufReader(bytes[...])
        var p = SparkplugPayload()
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (1, .varint): p.timestamp = try r.varint()
            case (2, .lengthDelimited): p.metrics.append(try decodeMetric(try r.lengthDelimited()))
            case (3, .varint): p.seq = try r.varint()
            default: try r.skip(wire)
            }
        }
        return p
    }

    private static func decodeMetric(_ bytes: ArraySlice<UInt8>) throws(ProtobufError) -> SparkplugMetric {
        var r = ProtobufReader(bytes)
        var m = SparkplugMetric(value: .null(.unsupported))
        var dataType = SparkplugMetric.DataType.unsupported
        var raw: SparkplugMetric.Value?
        var isNull = false
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited): m.name = try r.string()
            case (2, .varint): m.alias = try r.varint()
            case (3, .varint): m.timestamp = try r.varint()
            case (4, .varint): dataType = SparkplugMetric.DataType(rawValue: UInt32(truncatingIfNeeded: try r.varint())) ?? .unsupported
            case (5, .varint): m.isHistorical = try r.varint() != 0
            case (7, .varint): isNull = try r.varint() != 0
            case (10, .varint), (11, .varint): raw = .int64(Int64(bitPattern: try r.varint()))
            case (12, .fixed32): raw = .double(Double(Float(bitPattern: try r.fixed32())))
            case (13, .fixed64): raw = .double(Double(bitPattern: try r.fixed64()))
            case (14, .varint): raw = .boolean(try r.varint() != 0)
            case (15, .lengthDelimited): raw = .string(try r.string())
            default: try r.skip(wire)
            }
        }
        if isNull || raw == nil {
            m.value = .null(dataType)
        } else if case .int64(let v)? = raw, dataType == .boolean {
            m.value = .boolean(v != 0)
        } else if case .int64(let v)? = raw, dataType == .int32 || dataType == .int16 || dataType == .int8 {
            // Signed types narrower than 64 bits travel as uint32 (two's complement).
            m.value = .int64(Int64(Int32(truncatingIfNeeded: v)))
        } else {
            m.value = raw!
        }
        return m
    }
}
