/// int8 dot products with int32 accumulation, 16 lanes at a time (SSE2/AVX2 pmaddwd, NEON smlal).
enum Int8Dot {
    /// Σ a[i] × b[i] for i < count; any count, any alignment.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ count: Int) -> Int32 {
        var acc = SIMD8<Int32>()
        var i = 0
        while i &+ 16 <= count {
            // Valid: i + 16 <= count, and both operands hold count elements.
            let x = SIMD16<Int16>(truncatingIfNeeded: UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Int8>.self))
            let y = SIMD16<Int16>(truncatingIfNeeded: UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Int8>.self))
            let p = x &* y
            acc &+= SIMD8<Int32>(truncatingIfNeeded: p.evenHalf) &+ SIMD8<Int32>(truncatingIfNeeded: p.oddHalf)
            i &+= 16
        }
        var sum = acc.wrappedSum()
        while i < count {
            sum &+= Int32(a[i]) &* Int32(b[i])
            i &+= 1
        }
        return sum
    }

    /// Four dot products of one input row against four weight rows `stride` bytes apart.
    @inline(__always)
    static func dot4(_ a: UnsafePointer<Int8>, _ w: UnsafePointer<Int8>, stride: Int, _ count: Int) -> SIMD4<Int32> {
        var acc0 = SIMD8<Int32>(), acc1 = SIMD8<Int32>(), acc2 = SIMD8<Int32>(), acc3 = SIMD8<Int32>()
        let w0 = w, w1 = w + stride, w2 = w + 2 &* stride, w3 = w + 3 &* stride
        var i = 0
        @inline(__always) func step(_ x: SIMD16<Int16>, _ row: UnsafePointer<Int8>, _ acc: inout SIMD8<Int32>) {
            // Valid: the caller guarantees count elements in every row.
            let y = SIMD16<Int16>(truncatingIfNeeded: UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Int8>.self))
            let p = x &* y
            acc &+= SIMD8<Int32>(truncatingIfNeeded: p.evenHalf) &+ SIMD8<Int32>(truncatingIfNeeded: p.oddHalf)
        }
        while i &+ 16 <= count {
            // Valid: i + 16 <= count.
            let x = SIMD16<Int16>(truncatingIfNeeded: UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Int8>.self))
            step(x, w0, &acc0)
            step(x, w1, &acc1)
            step(x, w2, &acc2)
            step(x, w3, &acc3)
            i &+= 16
        }
        var sums = SIMD4<Int32>(acc0.wrappedSum(), acc1.wrappedSum(), acc2.wrappedSum(), acc3.wrappedSum())
        while i < count {
            let x = Int32(a[i])
            sums &+= SIMD4(Int32(w0[i]), Int32(w1[i]), Int32(w2[i]), Int32(w3[i])) &* x
            i &+= 1
        }
        return sums
    }
}
