/// The `int values[]` (or `unsigned offsets[]`) array the facade reads and writes, as a fixed-size value on
/// the stack (no allocation): room for ``GPIOLineValues/maxCount`` lines.
struct FacadeValues {
    static let capacity = 64
    private var storage: (
        (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32), (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32),
        (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32), (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32),
        (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32), (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32),
        (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32), (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)
    ) = ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0),
         (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0))

    init() {}

    init(_ values: GPIOLineValues) {
        withUnsafeMutableBytes(of: &storage) { raw in
            // raw spans `capacity` Int32 values of this struct's storage.
            let ints = raw.bindMemory(to: Int32.self)
            for i in 0..<values.count { ints[i] = values[i] ? 1 : 0 }
        }
    }

    /// Line offsets, as the facade's `unsigned` array (same size and layout as `Int32`).
    init(offsets: [Int]) {
        withUnsafeMutableBytes(of: &storage) { raw in
            // raw spans `capacity` 32-bit slots of this struct's storage; callers pass at most `capacity` offsets.
            let slots = raw.bindMemory(to: UInt32.self)
            for (i, offset) in offsets.enumerated() { slots[i] = UInt32(offset) }
        }
    }

    /// The first `count` entries as logical values.
    func values(count: Int) -> GPIOLineValues {
        var out = GPIOLineValues(count: count)
        withUnsafeBytes(of: storage) { raw in
            // raw spans `capacity` Int32 values of a copy of this struct's storage.
            let ints = raw.bindMemory(to: Int32.self)
            for i in 0..<count where ints[i] != 0 { out[i] = true }
        }
        return out
    }
}
