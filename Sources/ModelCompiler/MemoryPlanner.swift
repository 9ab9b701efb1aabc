/// Where each activation lives during `predict`: the caller's input or output buffer, or a fixed offset in the one
/// static arena. Offsets come from tensor lifetimes (first write to last read, in operator order) with a greedy
/// first-fit, largest first, like TFLM's GreedyMemoryPlanner, 16-byte aligned.
struct MemoryPlanner {
    enum Storage: Equatable {
        case modelInput
        case modelOutput
        case arena(offset: Int)
    }

    struct Plan {
        /// Storage of every activation tensor, by tensor index.
        var storage: [Int: Storage]
        /// Arena offset of each operator's scratch space, by operator position (0 when it needs none).
        var scratch: [Int]
        var arenaBytes: Int
    }

    static let alignment = 16

    /// Plans `operators` (in execution order) for a model with one input and one output tensor.
    static func plan(operators: [LoweredOperator], input: Int, output: Int, sizeOf: (Int) -> Int) -> Plan {
        // Storage groups: a RESHAPE output shares its input's storage unless it is the model output.
        var root: [Int: Int] = [:]
        func find(_ t: Int) -> Int {
            var t = t
            while let r = root[t], r != t { t = r }
            return t
        }
        for op in operators where op.isReshape && op.output != output {
            root[op.output] = find(op.reads[0])
        }
        struct Buffer {
            var key: Int  // tensor root, or -(op position + 1) for scratch
            var size: Int
            var first: Int
            var last: Int
        }
        var buffers: [Int: Buffer] = [:]
        func use(_ key: Int, size: Int, at time: Int) {
            if var b = buffers[key] {
                b.first = min(b.first, time)
                b.last = max(b.last, time)
                b.size = max(b.size, size)
                buffers[key] = b
            } else {
                buffers[key] = Buffer(key: key, size: size, first: time, last: time)
            }
        }
        for (time, op) in operators.enumerated() {
            for t in op.reads + [op.output] {
                let r = find(t)
                if r == input || r == output { continue }
                use(r, size: sizeOf(t), at: time)
            }
            if op.scratchBytes > 0 { use(-(time + 1), size: op.scratchBytes, at: time) }
        }
        let order = buffers.values.sorted {
            $0.size != $1.size ? $0.size > $1.size : $0.first != $1.first ? $0.first < $1.first : $0.key < $1.key
        }
        var placed: [(buffer: Buffer, offset: Int)] = []
        var offsets: [Int: Int] = [:]
        var arenaBytes = 0
        for b in order {
            let conflicts = placed.filter { $0.buffer.first <= b.last && b.first <= $0.buffer.last }
                .sorted { $0.offset < $1.offset }
            var offset = 0
            for c in conflicts {
                if offset + b.size <= c.offset { break }
                offset = max(offset, (c.offset + c.buffer.size + alignment - 1) / alignment * alignment)
            }
            placed.append((b, offset))
            offsets[b.key] = offset
            arenaBytes = max(arenaBytes, offset + b.size)
        }
        var storage: [Int: Storage] = [:]
        var scratch: [Int] = []
        for (time, op) in operators.enumerated() {
            for t in op.reads + [op.output] {
                let r = find(t)
                storage[t] = r == input ? .modelInput : r == output ? .modelOutput : .arena(offset: offsets[r]!)
            }
            scratch.append(op.scratchBytes > 0 ? offsets[-(time + 1)]! : 0)
        }
        return Plan(storage: storage, scratch: scratch, arenaBytes: (arenaBytes + alignment - 1) / alignment * alignment)
    }

    /// Plans with one scratch row per CONV_2D, then gives each (in order) a tile of 4 rows when the arena stays as
    /// small: the kernels gather 4 receptive fields at once where they may, without costing memory.
    static func planWithTiles(operators: [LoweredOperator], input: Int, output: Int, sizeOf: (Int) -> Int)
        -> ([LoweredOperator], Plan)
    {
        var ops = operators
        var best = plan(operators: ops, input: input, output: output, sizeOf: sizeOf)
        let smallest = best.arenaBytes
        for k in ops.indices where ops[k].scratchRowBytes > 0 {
            var trial = ops
            trial[k].scratchBytes = 4 * ops[k].scratchRowBytes
            let p = plan(operators: trial, input: input, output: output, sizeOf: sizeOf)
            if p.arenaBytes <= smallest {
                ops = trial
                best = p
            }
        }
        return (ops, best)
    }
}
