/// A register map held in memory: each table is an array from its start address (0 unless given), writes
/// land directly; addresses outside a table are illegal data addresses.
///
/// Used by `fieldagent modbus serve`, by tests and benchmarks, and by the agent for tables it fills itself.
public final class MemoryRegisterMap: RegisterMap {
    /// Coils, indexed by address.
    public var coils: [Bool]
    /// Discrete inputs, indexed by address.
    public var discreteInputs: [Bool]
    /// Holding registers, indexed by address.
    public var holdingRegisters: [UInt16]
    /// Input registers, indexed by address.
    public var inputRegisters: [UInt16]
    /// Called after each applied write.
    public var onWrite: (RegisterWrite) -> Void = { _ in }
    private var coilsStart = 0, discreteStart = 0, holdingStart = 0, inputStart = 0

    /// The address of a table's first item (index 0 of its array).
    public func start(of table: ModbusTable) -> Int {
        switch table {
        case .coils: coilsStart
        case .discreteInputs: discreteStart
        case .holdingRegisters: holdingStart
        case .inputRegisters: inputStart
        }
    }

    /// A map with `size` items in every table, all zero.
    public init(size: Int = 10_000) {
        coils = Array(repeating: false, count: size)
        discreteInputs = Array(repeating: false, count: size)
        holdingRegisters = Array(repeating: 0, count: size)
        inputRegisters = Array(repeating: 0, count: size)
    }

    /// A map with tables of the given sizes.
    public init(coils: Int, discreteInputs: Int, holdingRegisters: Int, inputRegisters: Int) {
        self.coils = Array(repeating: false, count: coils)
        self.discreteInputs = Array(repeating: false, count: discreteInputs)
        self.holdingRegisters = Array(repeating: 0, count: holdingRegisters)
        self.inputRegisters = Array(repeating: 0, count: inputRegisters)
    }

    /// A map whose tables start at the given addresses and hold the given numbers of items, like libmodbus's
    /// `modbus_mapping_new_start_address`.
    public convenience init(coils: Range<Int>, discreteInputs: Range<Int>, holdingRegisters: Range<Int>, inputRegisters: Range<Int>) {
        self.init(coils: coils.count, discreteInputs: discreteInputs.count, holdingRegisters: holdingRegisters.count, inputRegisters: inputRegisters.count)
        coilsStart = coils.lowerBound
        discreteStart = discreteInputs.lowerBound
        holdingStart = holdingRegisters.lowerBound
        inputStart = inputRegisters.lowerBound
    }

    public func bit(_ table: ModbusTable, at address: UInt16) -> Bool? {
        let a = Int(address) - start(of: table)
        switch table {
        case .coils: return coils.indices.contains(a) ? coils[a] : nil
        case .discreteInputs: return discreteInputs.indices.contains(a) ? discreteInputs[a] : nil
        default: return nil
        }
    }

    public func register(_ table: ModbusTable, at address: UInt16) -> UInt16? {
        let a = Int(address) - start(of: table)
        switch table {
        case .holdingRegisters: return holdingRegisters.indices.contains(a) ? holdingRegisters[a] : nil
        case .inputRegisters: return inputRegisters.indices.contains(a) ? inputRegisters[a] : nil
        default: return nil
        }
    }

    public func apply(_ write: RegisterWrite) -> ModbusExceptionCode? {
        let first = Int(write.address) - start(of: write.table)
        switch write {
        case .coils(_, let values):
            guard first >= 0 && first + values.count <= coils.count else { return .illegalDataAddress }
            for (i, v) in values.enumerated() { coils[first + i] = v }
        case .registers(_, let values):
            guard first >= 0 && first + values.count <= holdingRegisters.count else { return .illegalDataAddress }
            for (i, v) in values.enumerated() { holdingRegisters[first + i] = v }
        }
        onWrite(write)
        return nil
    }
}
