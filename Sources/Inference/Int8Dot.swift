/// int8 dot products with int32 accumulation, 16 bytes per step.
///
/// Uses only the stdlib's concrete SIMD operations (loads, lane-wise shifts, wrapping multiply and add), which
/// lower to single vector instructions; the generic element-type conversions (`init(truncatingIfNeeded:)`) do not
/// inline and would cost a call per vector. Sign extension and widening are done with shifts on reinterpreted
/// lanes: 16 int8 bytes read as 8 int16 lanes give the even bytes as `(v << 8) >> 8` and the odd ones as `v >> 8`;
/// int16 products read as 4 int32 lanes give theirs as `(q << 16) >> 16` and `q >> 16`.
enum Int8Dot {
    @inline(__always)
    static func load16(_ p: UnsafePointer<Int8>) -> SIMD8<Int16> {
        // Valid: the caller guarantees 16 readable bytes at p.
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int16>.self)
    }

    /// The sum of all 16 products of two 16-byte blocks, split into even and odd bytes, as 4 int32 lanes.
    @inline(__always)
    static func multiplyAdd(_ aEven: SIMD8<Int16>, _ aOdd: SIMD8<Int16>, _ w: SIMD8<Int16>) -> SIMD4<Int32> {
        let pe = aEven &* ((w &<< 8) &>> 8)
        let po = aOdd &* (w &>> 8)
        let qe = unsafeBitCast(pe, to: SIMD4<Int32>.self)
        let qo = unsafeBitCast(po, to: SIMD4<Int32>.self)
        // Two statements: Swift 6.0 cannot type-check the four-term sum in one expression in reasonable time.
        let even: SIMD4<Int32> = ((qe &<< 16) &>> 16) &+ (qe &>> 16)
        let odd: SIMD4<Int32> = ((qo &<< 16) &>> 16) &+ (qo &>> 16)
        return even &+ odd
    }

    /// Σ a[i] × b[i] for i < count.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ count: Int) -> Int32 {
        var acc = SIMD4<Int32>()
        var i = 0
        while i &+ 16 <= count {
            let av = load16(a + i)
            acc &+= multiplyAdd((av &<< 8) &>> 8, av &>> 8, load16(b + i))
            i &+= 16
        }
        var sum = acc.wrappedSum()
        while i < count {
            // Valid: i < count.
            sum &+= Int32(a[i]) &* Int32(b[i])
            i &+= 1
        }
        return sum
    }

    /// Four dot products of one input row against four weight rows `stride` bytes apart.
    @inline(__always)
    static func dot4(_ a: UnsafePointer<Int8>, _ w: UnsafePointer<Int8>, stride: Int, _ count: Int)
        -> (Int32, Int32, Int32, Int32)
    {
        let w0 = w, w1 = w + stride, w2 = w + 2 &* stride, w3 = w + 3 &* stride
        var acc0 = SIMD4<Int32>(), acc1 = SIMD4<Int32>(), acc2 = SIMD4<Int32>(), acc3 = SIMD4<Int32>()
        var i = 0
        while i &+ 16 <= count {
            // Valid: i + 16 <= count, and every row holds count bytes.
            let av = load16(a + i)
            let aEven = (av &<< 8) &>> 8, aOdd = av &>> 8
            acc0 &+= multiplyAdd(aEven, aOdd, load16(w0 + i))
            acc1 &+= multiplyAdd(aEven, aOdd, load16(w1 + i))
            acc2 &+= multiplyAdd(aEven, aOdd, load16(w2 + i))
            acc3 &+= multiplyAdd(aEven, aOdd, load16(w3 + i))
            i &+= 16
        }
        var s0 = acc0.wrappedSum(), s1 = acc1.wrappedSum(), s2 = acc2.wrappedSum(), s3 = acc3.wrappedSum()
        while i < count {
            let x = Int32(a[i])
            s0 &+= x &* Int32(w0[i])
            s1 &+= x &* Int32(w1[i])
            s2 &+= x &* Int32(w2[i])
            s3 &+= x &* Int32(w3[i])
            i &+= 1
        }
        return (s0, s1, s2, s3)
    }
}
