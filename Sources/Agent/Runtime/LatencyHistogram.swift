import EventLoop

/// Latencies in a fixed histogram (1 µs buckets up to 10 ms, one overflow bucket and the exact maximum):
/// recording allocates nothing, so it can sit on the edge → output path.
public struct LatencyHistogram: Sendable {
    private static let bucketCount = 10_000
    private var buckets: [UInt32]
    private var overflow: UInt64 = 0
    /// Number of recorded samples.
    public private(set) var count: UInt64 = 0
    /// The largest sample.
    public private(set) var max: Duration = .zero
    private var sumNanoseconds: Int64 = 0

    public init() { buckets = [UInt32](repeating: 0, count: Self.bucketCount) }

    /// Records one latency.
    public mutating func record(_ latency: Duration) {
        let ns = Swift.max(latency.nanoseconds, 0)
        let us = Int(ns / 1000)
        if us < Self.bucketCount { buckets[us] &+= 1 } else { overflow &+= 1 }
        count &+= 1
        sumNanoseconds &+= ns
        if latency > max { max = latency }
    }

    /// The latency below which `fraction` (0…1) of the samples fall, to the microsecond; nil when empty.
    public func percentile(_ fraction: Double) -> Duration? {
        guard count > 0 else { return nil }
        let rank = UInt64((Double(count) * (fraction.isNaN ? 1 : Swift.min(Swift.max(fraction, 0), 1))).rounded(.up))
        var seen: UInt64 = 0
        for (us, n) in buckets.enumerated() where n > 0 {
            seen += UInt64(n)
            if seen >= Swift.max(rank, 1) { return .microseconds(us + 1) }
        }
        return max
    }

    /// The mean latency; nil when empty.
    public var mean: Duration? { count == 0 ? nil : .nanoseconds(sumNanoseconds / Int64(count)) }

    /// Forgets every sample.
    public mutating func reset() { self = LatencyHistogram() }

    /// `n=… p50=…µs p99=…µs max=…µs`, for logs and reports.
    public var summary: String {
        guard count > 0 else { return "n=0" }
        func us(_ d: Duration?) -> String { d.map { formatMicroseconds($0) } ?? "-" }
        return "n=\(count) p50=\(us(percentile(0.5))) p99=\(us(percentile(0.99))) max=\(us(max))"
    }
}

/// `12.3µs` / `1.20ms`: a duration for people.
public func formatMicroseconds(_ d: Duration) -> String {
    let us = d.microseconds
    if us >= 1000 { return formatFixed(us / 1000, digits: 2) + "ms" }
    return formatFixed(us, digits: 1) + "µs"
}

/// A number with a fixed count of decimals (0…15), without Foundation's `String(format:)`.
///
/// Total: any value prints. Beyond 2^53 (about 9.0e15, scaled by the decimals) a `Double` no longer holds every
/// whole number and soon no `Int` holds it at all, so such a value prints in the shortest exponent form that
/// reads back to it (`9.3e+15`); NaN and the infinities print as `nan`, `inf`, `-inf`.
public func formatFixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    let digits = min(max(digits, 0), 15)
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9_007_199_254_740_992 else { return "\(value)" }
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled) - whole * Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
}
