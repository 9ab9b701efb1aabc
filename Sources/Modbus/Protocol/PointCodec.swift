/// Turns registers into engineering values and back: type, word order, then `value = raw × scale + offset`.
public struct PointCodec: Sendable, Hashable {
    /// How the registers are read as a number.
    public var type: PointType
    /// Register order of 32-bit types.
    public var wordOrder: WordOrder
    /// Multiplies the raw number.
    public var scale: Double
    /// Added after scaling.
    public var offset: Double

    public init(type: PointType, wordOrder: WordOrder = .big, scale: Double = 1, offset: Double = 0) {
        self.type = type
        self.wordOrder = wordOrder
        self.scale = scale
        self.offset = offset
    }

    /// Why a value cannot be written as this point's registers.
    public enum EncodeError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The raw value (after removing offset and scale) does not fit the type.
        case outOfRange(raw: Double, type: PointType)
        /// NaN or infinite.
        case notFinite

        public var description: String {
            switch self {
            case .outOfRange(let raw, let type): "raw value \(raw) does not fit \(type.rawValue)"
            case .notFinite: "the value is not a finite number"
            }
        }
    }

    /// The raw (unscaled) number in `registers`, which holds at least ``PointType/registerCount`` words.
    public func raw<C: Collection>(_ registers: C) -> Double where C.Element == UInt16, C.Index == Int {
        let first = registers[registers.startIndex]
        switch type {
        case .bool: return first != 0 ? 1 : 0
        case .int16: return Double(Int16(bitPattern: first))
        case .uint16: return Double(first)
        case .int32, .uint32, .float32:
            let second = registers[registers.startIndex + 1]
            let bits = wordOrder == .big ? UInt32(first) << 16 | UInt32(second) : UInt32(second) << 16 | UInt32(first)
            switch type {
            case .int32: return Double(Int32(bitPattern: bits))
            case .uint32: return Double(bits)
            default: return Double(Float(bitPattern: bits))
            }
        }
    }

    /// The engineering value of `registers`.
    public func decode<C: Collection>(_ registers: C) -> Double where C.Element == UInt16, C.Index == Int {
        raw(registers) * scale + offset
    }

    /// The engineering value of a bit (`bool` points on coils or discrete inputs).
    public func decode(bit: Bool) -> Double { (bit ? 1 : 0) * scale + offset }

    /// The registers that hold `value` (integer types round to the nearest raw value).
    public func encode(_ value: Double) throws(EncodeError) -> [UInt16] {
        guard value.isFinite else { throw .notFinite }
        let raw = scale == 0 ? 0 : (value - offset) / scale
        switch type {
        case .bool:
            return [raw != 0 ? 1 : 0]
        case .int16:
            let r = raw.rounded()
            guard r >= -32768 && r <= 32767 else { throw .outOfRange(raw: r, type: type) }
            return [UInt16(bitPattern: Int16(r))]
        case .uint16:
            let r = raw.rounded()
            guard r >= 0 && r <= 65535 else { throw .outOfRange(raw: r, type: type) }
            return [UInt16(r)]
        case .int32:
            let r = raw.rounded()
            guard r >= -2147483648 && r <= 2147483647 else { throw .outOfRange(raw: r, type: type) }
            return words(UInt32(bitPattern: Int32(r)))
        case .uint32:
            let r = raw.rounded()
            guard r >= 0 && r <= 4294967295 else { throw .outOfRange(raw: r, type: type) }
            return words(UInt32(r))
        case .float32:
            let f = Float(raw)
            guard f.isFinite else { throw .outOfRange(raw: raw, type: type) }
            return words(f.bitPattern)
        }
    }

    private func words(_ bits: UInt32) -> [UInt16] {
        let high = UInt16(truncatingIfNeeded: bits >> 16), low = UInt16(truncatingIfNeeded: bits)
        return wordOrder == .big ? [high, low] : [low, high]
    }
}
