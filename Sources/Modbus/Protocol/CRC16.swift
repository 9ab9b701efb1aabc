/// The Modbus RTU checksum: CRC-16 with polynomial 0xA001 (reflected 0x8005), initial value 0xFFFF,
/// sent low byte first after the frame.
public enum CRC16 {
    private static let table: [UInt16] = (0..<256).map { n -> UInt16 in
        var crc = UInt16(n)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        return crc
    }

    /// The CRC of `bytes`.
    public static func compute<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0xFFFF
        for b in bytes { crc = (crc >> 8) ^ table[Int(UInt8(truncatingIfNeeded: crc) ^ b)] }
        return crc
    }

    /// Appends the CRC of `frame` to it, low byte first.
    public static func append(to frame: inout [UInt8]) {
        let crc = compute(frame)
        frame.append(UInt8(truncatingIfNeeded: crc))
        frame.append(UInt8(truncatingIfNeeded: crc >> 8))
    }

    /// True when the last two bytes of `frame` are the CRC of the rest.
    public static func isValid<C: Collection>(_ frame: C) -> Bool where C.Element == UInt8, C.Index == Int {
        guard frame.count >= 4 else { return false }
        let body = frame.prefix(frame.count - 2)
        let crc = compute(body)
        let lo = frame[frame.endIndex - 2], hi = frame[frame.endIndex - 1]
        return UInt16(lo) | UInt16(hi) << 8 == crc
    }
}
