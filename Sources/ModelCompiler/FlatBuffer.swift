/// A read-only view of a FlatBuffer (https://flatbuffers.dev/internals/): tables through their vtables, vectors,
/// strings. Every read is bounds-checked; a truncated or corrupt file becomes a ``ModelError``.
struct FlatBuffer {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func check(_ position: Int, _ size: Int) throws(ModelError) {
        guard position >= 0 else {
            throw ModelError("corrupt file: an offset in it points \(0 - position) bytes before its start (a truncated or damaged .tflite)")
        }
        guard size >= 0, position <= bytes.count, size <= bytes.count - position else {
            throw ModelError("corrupt file: it says \(size) bytes are at byte \(position), but the file has only \(bytes.count) bytes (truncated or damaged)")
        }
    }

    /// A 64-bit offset or size from the file as an Int, refused (not trapped on) when it is beyond any file.
    func int(_ value: UInt64, _ what: String) throws(ModelError) -> Int {
        guard let v = Int(exactly: value), v <= bytes.count else {
            throw ModelError("corrupt file: \(what) is \(value), beyond the file's \(bytes.count) bytes (truncated or damaged)")
        }
        return v
    }

    func u8(_ p: Int) throws(ModelError) -> UInt8 {
        try check(p, 1)
        return bytes[p]
    }

    func u16(_ p: Int) throws(ModelError) -> UInt16 {
        try check(p, 2)
        return UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
    }

    func u32(_ p: Int) throws(ModelError) -> UInt32 {
        try check(p, 4)
        return UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
    }

    func i32(_ p: Int) throws(ModelError) -> Int32 { Int32(bitPattern: try u32(p)) }

    func u64(_ p: Int) throws(ModelError) -> UInt64 { UInt64(try u32(p)) | UInt64(try u32(p + 4)) << 32 }

    func f32(_ p: Int) throws(ModelError) -> Float { Float(bitPattern: try u32(p)) }

    /// The root table.
    func root() throws(ModelError) -> Table { Table(buffer: self, position: Int(try u32(0))) }

    /// A table: a position whose first word points (backwards) at its vtable.
    struct Table {
        let buffer: FlatBuffer
        let position: Int

        /// The absolute position of field `index`, or nil when the field is absent (default value).
        func field(_ index: Int) throws(ModelError) -> Int? {
            let vtable = position - Int(try buffer.i32(position))
            let vtableSize = Int(try buffer.u16(vtable))
            let slot = 4 + 2 * index
            guard slot + 2 <= vtableSize else { return nil }
            let offset = Int(try buffer.u16(vtable + slot))
            return offset == 0 ? nil : position + offset
        }

        func u8(_ index: Int, default value: UInt8 = 0) throws(ModelError) -> UInt8 {
            guard let p = try field(index) else { return value }
            return try buffer.u8(p)
        }

        func i32(_ index: Int, default value: Int32 = 0) throws(ModelError) -> Int32 {
            guard let p = try field(index) else { return value }
            return try buffer.i32(p)
        }

        func u32(_ index: Int, default value: UInt32 = 0) throws(ModelError) -> UInt32 {
            guard let p = try field(index) else { return value }
            return try buffer.u32(p)
        }

        func u64(_ index: Int, default value: UInt64 = 0) throws(ModelError) -> UInt64 {
            guard let p = try field(index) else { return value }
            return try buffer.u64(p)
        }

        func f32(_ index: Int, default value: Float = 0) throws(ModelError) -> Float {
            guard let p = try field(index) else { return value }
            return try buffer.f32(p)
        }

        /// The target of an offset field.
        func indirect(_ index: Int) throws(ModelError) -> Int? {
            guard let p = try field(index) else { return nil }
            return p + Int(try buffer.u32(p))
        }

        func table(_ index: Int) throws(ModelError) -> Table? {
            guard let p = try indirect(index) else { return nil }
            return Table(buffer: buffer, position: p)
        }

        func string(_ index: Int) throws(ModelError) -> String? {
            guard let p = try indirect(index) else { return nil }
            let count = Int(try buffer.u32(p))
            try buffer.check(p + 4, count)
            return String(decoding: buffer.bytes[(p + 4)..<(p + 4 + count)], as: UTF8.self)
        }

        /// A vector field: element count and the position of element 0.
        func vector(_ index: Int, elementSize: Int) throws(ModelError) -> (count: Int, start: Int)? {
            guard let p = try indirect(index) else { return nil }
            let count = Int(try buffer.u32(p))
            try buffer.check(p + 4, count * elementSize)
            return (count, p + 4)
        }

        func tables(_ index: Int) throws(ModelError) -> [Table] {
            guard let (count, start) = try vector(index, elementSize: 4) else { return [] }
            var result: [Table] = []
            for i in 0..<count {
                let p = start + 4 * i
                result.append(Table(buffer: buffer, position: p + Int(try buffer.u32(p))))
            }
            return result
        }

        func i32s(_ index: Int) throws(ModelError) -> [Int32]? {
            guard let (count, start) = try vector(index, elementSize: 4) else { return nil }
            var result: [Int32] = []
            for i in 0..<count { result.append(try buffer.i32(start + 4 * i)) }
            return result
        }

        func i64s(_ index: Int) throws(ModelError) -> [Int64]? {
            guard let (count, start) = try vector(index, elementSize: 8) else { return nil }
            var result: [Int64] = []
            for i in 0..<count { result.append(Int64(bitPattern: try buffer.u64(start + 8 * i))) }
            return result
        }

        func f32s(_ index: Int) throws(ModelError) -> [Float]? {
            guard let (count, start) = try vector(index, elementSize: 4) else { return nil }
            var result: [Float] = []
            for i in 0..<count { result.append(try buffer.f32(start + 4 * i)) }
            return result
        }

        func bytes(_ index: Int) throws(ModelError) -> ArraySlice<UInt8>? {
            guard let (count, start) = try vector(index, elementSize: 1) else { return nil }
            return buffer.bytes[start..<(start + count)]
        }
    }
}
