/// A register map held in memory: each table is an array from address 0, writes land directly.
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

    public func bit(_ table: ModbusTable, at address: UInt16) -> Bool? {
        let a = Int(address)
        switch table {
        case .coils: return a < coils.count ? coils[a] : nil
        case .discreteInputs: return a < discreteInputs.count ? discreteInputs[a] : nil
        default: return nil
        }
    }

    public func register(_ table: ModbusTable, at address: UInt16) -> UInt16? {
        let a = Int(address)
        switch table {
        case .holdingRegisters: return a < holdingRegisters.count ? holdingRegisters[a] : nil
        case .inputRegisters: return a < inputRegisters.count ? inputRegisters[a] : nil
        default: return nil
        }
    }

    public func apply(_ write: RegisterWrite) -> ModbusExceptionCode? {
        switch write {
        case .coils(let address, let values):
            let start = Int(address)
            guard start + values.count <= coils.count else { return .illegalDataAddress }
            for (i, v) in values.enumerated() { coils[start + i] = v }
        case .registers(let address, let values):
            let start = Int(address)
            guard start + values.count <= holdingRegisters.count else { return .illegalDataAddress }
            for (i, v) in values.enumerated() { holdingRegisters[start + i] = v }
        }
        onWrite(write)
        return nil
    }
}
