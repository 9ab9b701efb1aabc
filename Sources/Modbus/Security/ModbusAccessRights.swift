/// What a client may read and write on the server: per table, the address ranges. MODBUS/TCP Security's
/// authorization for one role; a request outside them is refused with
/// ``ModbusExceptionCode/illegalFunction`` before the register map sees it.
public struct ModbusAccessRights: Sendable, Equatable {
    /// Readable ranges per table.
    public var read: [ModbusTable: [ClosedRange<UInt16>]]
    /// Writable ranges per table (only coils and holding registers are ever written).
    public var write: [ModbusTable: [ClosedRange<UInt16>]]

    public init(read: [ModbusTable: [ClosedRange<UInt16>]] = [:], write: [ModbusTable: [ClosedRange<UInt16>]] = [:]) {
        self.read = read
        self.write = write
    }

    /// Nothing at all (the empty role, unless the config gives it rights).
    public static let nothing = ModbusAccessRights()
    /// Every address of every table, read only (plaintext Modbus TCP beside TLS).
    public static let readOnly = ModbusAccessRights(read: Dictionary(uniqueKeysWithValues: ModbusTable.allCases.map { ($0, [0...UInt16.max]) }))
    /// Everything.
    public static let everything = ModbusAccessRights(read: readOnly.read, write: [.coils: [0...UInt16.max], .holdingRegisters: [0...UInt16.max]])

    /// True when the `count` addresses from `address` all lie in `ranges` (one range or adjacent ones).
    private static func covers(_ ranges: [ClosedRange<UInt16>]?, _ address: UInt16, _ count: Int) -> Bool {
        guard let ranges, count > 0 else { return count == 0 }
        var next = Int(address)
        let end = Int(address) + count - 1
        guard end <= Int(UInt16.max) else { return false }
        // Walk forward: each step needs a range holding `next`; at most one step per range.
        for _ in 0...ranges.count {
            guard let r = ranges.first(where: { Int($0.lowerBound) <= next && next <= Int($0.upperBound) }) else { return false }
            if Int(r.upperBound) >= end { return true }
            next = Int(r.upperBound) + 1
        }
        return false
    }

    /// Whether `count` items of `table` from `address` may be read.
    public func mayRead(_ table: ModbusTable, address: UInt16, count: Int) -> Bool { Self.covers(read[table], address, count) }

    /// Whether `count` items of `table` from `address` may be written.
    public func mayWrite(_ table: ModbusTable, address: UInt16, count: Int) -> Bool { Self.covers(write[table], address, count) }

    /// Whether `request` stays inside these rights (FC 22 needs read and write of its register, FC 23 both halves;
    /// device identification is public, like a nameplate).
    public func allows(_ request: ModbusRequest) -> Bool {
        switch request {
        case .readDeviceIdentification:
            return true
        case .read(let table, let address, let count):
            return mayRead(table, address: address, count: Int(count))
        case .maskWriteRegister(let address, _, _):
            return mayRead(.holdingRegisters, address: address, count: 1) && mayWrite(.holdingRegisters, address: address, count: 1)
        case .readWriteMultipleRegisters(let readAddress, let readCount, _, _):
            guard mayRead(.holdingRegisters, address: readAddress, count: Int(readCount)) else { return false }
            fallthrough
        default:
            guard let w = request.write else { return false }
            return mayWrite(w.table, address: w.address, count: w.count)
        }
    }
}
