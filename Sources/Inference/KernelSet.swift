import CInt8Kernels

/// The instruction sets the int8 kernels run on. The process starts on the best one the CPU has (cpuid on x86-64,
/// `getauxval(AT_HWCAP)` on AArch64); ``portable`` is the Swift reference every other set must match byte for byte.
/// Declared from the least to the most capable set of each architecture (``available`` keeps this order).
public enum KernelSet: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// The Swift kernels of `Ops/`: any CPU, the reference.
    case portable = 0
    /// x86-64 with SSE4.1 (CPUs without AVX2): pmaddwd on 128-bit registers.
    case x86SSE41 = 5
    /// x86-64 with AVX2: vpmaddwd on sign-extended bytes.
    case x86AVX2 = 1
    /// x86-64 with AVX-512 VNNI (and VL, BW): vpdpbusd.
    case x86AVX512VNNI = 2
    /// AArch64 Advanced SIMD (every 64-bit Raspberry Pi): smull + sadalp.
    case armNEON = 3
    /// AArch64 with the dot-product extension (Raspberry Pi 5's Cortex-A76): sdot.
    case armDotProduct = 4

    /// True when this binary has the set and the CPU runs it.
    public var isAvailable: Bool { fa_kernels_available(rawValue) != 0 }

    /// The sets this process can use, ``portable`` first.
    public static var available: [KernelSet] { allCases.filter(\.isAvailable) }

    /// The set the kernels use now.
    public static var active: KernelSet { KernelSet(rawValue: fa_kernels_active()) ?? .portable }

    /// Switches every kernel to `set`; false (nothing changes) when it is not available. For tests and benchmarks:
    /// call it while no inference runs.
    @discardableResult
    public static func select(_ set: KernelSet) -> Bool { fa_kernels_select(set.rawValue) == 0 }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .x86AVX2: "avx2"
        case .x86AVX512VNNI: "avx512vnni"
        case .armNEON: "neon"
        case .armDotProduct: "dotprod"
        case .x86SSE41: "sse41"
        }
    }

    /// True when the C micro-kernels run (any set but ``portable``).
    @inline(__always)
    static var usesMicroKernels: Bool { fa_kernels_active() != 0 }
}
