/// Big-endian helpers for building and reading Modbus frames (all Modbus words are big-endian on the wire).
extension Array where Element == UInt8 {
    /// Appends `word` high byte first.
    @inlinable
    mutating func appendWord(_ word: UInt16) {
        append(UInt8(truncatingIfNeeded: word >> 8))
        append(UInt8(truncatingIfNeeded: word))
    }

    /// Appends the byte count and then `bits` packed eight to a byte, least significant bit first (FC 1, 2, 15).
    mutating func appendPackedBits(_ bits: [Bool]) {
        append(UInt8(truncatingIfNeeded: (bits.count + 7) / 8))
        var byte: UInt8 = 0
        for (i, b) in bits.enumerated() {
            if b { byte |= 1 << UInt8(i % 8) }
            if i % 8 == 7 {
                append(byte)
                byte = 0
            }
        }
        if bits.count % 8 != 0 { append(byte) }
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// The big-endian word at `offset` bytes from the start.
    @inlinable
    func word(at offset: Int) -> UInt16 {
        UInt16(self[startIndex + offset]) << 8 | UInt16(self[startIndex + offset + 1])
    }

    /// The byte at `offset` bytes from the start.
    @inlinable
    func byte(at offset: Int) -> UInt8 { self[startIndex + offset] }
}
