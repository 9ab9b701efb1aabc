import Modbus

/// Whether a value the config gives for a writable Modbus point (its `safe:`, a `decide:` command's value) can be
/// written to it: `check` refuses what the point's type, scale and offset cannot hold, so that no safe value or
/// action fails only when the agent runs.
enum PointValueCheck {
    /// Nil when `value` (engineering units) fits `point`; else why not, with the values that fit
    /// (`-1 does not fit uint16: the values it holds are 0…65535`).
    static func problem(_ value: Double, for point: ModbusPointConfig) -> String? {
        guard point.table != .coils else { return nil }  // coils take on/off, parsed as such
        let codec = point.codec
        let fits: Bool
        if codec.type == .bool {
            // A bool in a register is written as 0 or 1; any other raw value would be silently turned into 1.
            let raw = (value - codec.offset) / codec.scale
            fits = raw == 0 || raw == 1
        } else {
            fits = (try? codec.encode(value)) != nil
        }
        guard !fits else { return nil }
        return "\(number(value)) does not fit \(codec.type.rawValue)\(scaling(codec)): the values it holds are \(range(codec))"
    }

    /// The engineering values `codec` can write, low to high: its type's raw range through scale and offset.
    static func range(_ codec: PointCodec) -> String {
        let raw: (Double, Double) = switch codec.type {
        case .bool: (0, 1)
        case .int16: (-32768, 32767)
        case .uint16: (0, 65535)
        case .int32: (-2_147_483_648, 2_147_483_647)
        case .uint32: (0, 4_294_967_295)
        case .float32: (-Double(Float.greatestFiniteMagnitude), Double(Float.greatestFiniteMagnitude))
        }
        let a = raw.0 * codec.scale + codec.offset, b = raw.1 * codec.scale + codec.offset
        if codec.type == .bool { return "\(number(min(a, b))) or \(number(max(a, b)))" }
        return "\(number(min(a, b)))…\(number(max(a, b)))"
    }

    private static func scaling(_ codec: PointCodec) -> String {
        codec.scale == 1 && codec.offset == 0 ? "" : " with scale \(number(codec.scale)) and offset \(number(codec.offset))"
    }

    /// A number as a config writes it: `65535`, `6553.5`, `-1`, `3.4028234663852886e+38`; limits computed through a
    /// scale lose the float noise of the multiplication (`3276.7`, not `3276.7000000000003`).
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return "\(Int64(v))" }
        if abs(v) < 1e9 {
            let micro = (v * 1e6).rounded() / 1e6
            return micro == micro.rounded() ? "\(Int64(micro))" : "\(micro)"
        }
        return "\(v)"
    }
}
