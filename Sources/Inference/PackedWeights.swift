/// The weight layout of FULLY_CONNECTED and CONV_2D, written by the model compiler and read by every kernel set:
/// output channels in blocks of 8, the depth in groups of 4, so one 32-byte load holds 4 depth steps of 8 channels
/// (what vpdpbusd, sdot and vpmaddwd consume). Byte (o, k) is at ((o / 8) × groups + k / 4) × 32 + (o % 8) × 4 +
/// k % 4, groups = ⌈depth / 4⌉; padding is zero. Per-channel arrays are padded to whole blocks.
public enum PackedWeights {
    /// Channels per block.
    public static let block = 8

    /// Depth groups of 4 for `depth`.
    @inlinable
    public static func groups(depth: Int) -> Int { (depth + 3) / 4 }

    /// `channels` rounded up to whole blocks (the length of the per-channel arrays).
    @inlinable
    public static func paddedChannels(_ channels: Int) -> Int { (channels + block - 1) / block * block }

    /// Bytes of the packed weights.
    public static func count(channels: Int, depth: Int) -> Int { paddedChannels(channels) * groups(depth: depth) * 4 }

    /// Packs row-major weights [channels][depth].
    public static func pack(_ weights: [Int8], channels: Int, depth: Int) -> [Int8] {
        precondition(weights.count == channels * depth, "weights hold \(weights.count) values, not \(channels) × \(depth)")
        let groups = groups(depth: depth)
        var packed = [Int8](repeating: 0, count: count(channels: channels, depth: depth))
        for o in 0..<channels {
            for k in 0..<depth {
                packed[((o / block) * groups + k / 4) * 32 + (o % block) * 4 + k % 4] = weights[o * depth + k]
            }
        }
        return packed
    }

    /// Σ weights of each channel, padded to whole blocks with zeros.
    public static func sums(_ weights: [Int8], channels: Int, depth: Int) -> [Int32] {
        var sums = [Int32](repeating: 0, count: paddedChannels(channels))
        for o in 0..<channels {
            for k in 0..<depth { sums[o] &+= Int32(weights[o * depth + k]) }
        }
        return sums
    }

    /// The portable kernel: one input row of `depth` bytes against every block, `channels` requantized outputs.
    ///
    /// A 32-byte group of a block read as 8 int32 lanes holds one channel's 4 weights per lane; byte j of every lane
    /// is sign-extended with two shifts, `(w << (24 − 8j)) >> 24`, times the broadcast input byte j. Only concrete
    /// SIMD operations (which lower to single vector instructions), no generic element conversions. Little-endian
    /// (x86-64, AArch64): byte j of a lane is weight k + j.
    @inline(__always)
    static func row(
        input: UnsafePointer<Int8>, depth: Int, channels: Int, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>,
        multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>, outputZeroPoint: Int32,
        activation: ActivationRange, output: UnsafeMutablePointer<Int8>
    ) {
        let groups = groups(depth: depth), full = depth / 4
        let lo = activation.min, hi = activation.max
        var blockStart = UnsafeRawPointer(weights)
        var c0 = 0
        while c0 < channels {
            var acc = SIMD8<Int32>()
            for g in 0..<groups {
                // Valid: k < depth for every byte read; the last group of a depth that is not a multiple of 4 reads
                // only what is there (its padding weights are zero).
                let k = g &* 4
                let a0 = Int32(input[k])
                let a1 = g < full || k &+ 1 < depth ? Int32(input[k &+ 1]) : 0
                let a2 = g < full || k &+ 2 < depth ? Int32(input[k &+ 2]) : 0
                let a3 = g < full ? Int32(input[k &+ 3]) : 0
                let w = blockStart.loadUnaligned(fromByteOffset: g &* 32, as: SIMD8<Int32>.self)
                let p0: SIMD8<Int32> = ((w &<< 24) &>> 24) &* a0
                let p1: SIMD8<Int32> = ((w &<< 16) &>> 24) &* a1
                let p2: SIMD8<Int32> = ((w &<< 8) &>> 24) &* a2
                let p3: SIMD8<Int32> = (w &>> 24) &* a3
                acc &+= p0 &+ p1
                acc &+= p2 &+ p3
            }
            for o in 0..<min(8, channels &- c0) {
                let c = c0 &+ o
                output[c] = requantize(bias[c] &+ acc[o], multipliers[c], shifts[c], outputZeroPoint, lo, hi)
            }
            c0 &+= 8
            blockStart += groups &* 32
        }
    }
}
