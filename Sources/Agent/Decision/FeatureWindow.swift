import Config
import EventLoop

/// The recent samples of one feature, kept in a fixed ring (no allocation after creation), and their reduction
/// (last, mean, RMS, peak, slope) over a sample count or a time span.
public struct FeatureWindow {
    /// The largest number of samples a time window keeps (older ones fall out first).
    public static let maxSamples = 4096
    private var times: [Instant]
    private var values: [Double]
    private var head = 0  // index of the oldest sample
    public private(set) var count = 0
    public let reduction: FeatureConfig.Reduction
    public let window: FeatureConfig.Window
    private let slopePer: Double

    public init(reduction: FeatureConfig.Reduction, window: FeatureConfig.Window, slopePer: Duration = .seconds(1), capacity: Int? = nil) {
        self.reduction = reduction
        self.window = window
        self.slopePer = Double(slopePer.nanoseconds) / 1e9
        let size: Int
        switch window {
        case .samples(let n): size = n
        case .duration: size = capacity ?? Self.maxSamples
        }
        times = Array(repeating: .zero, count: max(1, size))
        values = Array(repeating: 0, count: max(1, size))
    }

    public init(_ config: FeatureConfig, capacity: Int? = nil) {
        self.init(reduction: config.reduction, window: config.window, slopePer: config.slopePer, capacity: capacity)
    }

    /// Adds a sample (the oldest falls out when the ring is full).
    public mutating func add(_ value: Double, at time: Instant) {
        let size = values.count
        let slot = (head + count) % size
        times[slot] = time
        values[slot] = value
        if count < size { count += 1 } else { head = (head + 1) % size }
    }

    /// Forgets every sample (a source that went down starts over).
    public mutating func clear() {
        head = 0
        count = 0
    }

    /// The time of the newest sample.
    public var newest: Instant? { count == 0 ? nil : times[(head + count - 1) % values.count] }

    /// The reduction over the samples in the window at `now`; nil when there are too few (none; one for a slope).
    public mutating func value(at now: Instant) -> Double? {
        if case .duration(let span) = window {
            while count > 0, now - times[head] > span {
                head = (head + 1) % values.count
                count -= 1
            }
        }
        guard count > 0 else { return nil }
        let size = values.count
        switch reduction {
        case .last:
            return values[(head + count - 1) % size]
        case .mean, .rms, .peak:
            var sum = 0.0, squares = 0.0, peak = 0.0
            for k in 0..<count {
                let v = values[(head + k) % size]
                sum += v
                squares += v * v
                peak = max(peak, abs(v))
            }
            switch reduction {
            case .mean: return sum / Double(count)
            case .rms: return (squares / Double(count)).squareRoot()
            default: return peak
            }
        case .slope:
            guard count >= 2 else { return nil }
            // Least squares over (t, v), t in seconds from the oldest sample.
            let t0 = times[head]
            var st = 0.0, sv = 0.0, stt = 0.0, stv = 0.0
            for k in 0..<count {
                let i = (head + k) % size
                let t = Double((times[i] - t0).nanoseconds) / 1e9
                let v = values[i]
                st += t; sv += v; stt += t * t; stv += t * v
            }
            let n = Double(count)
            let denominator = n * stt - st * st
            guard denominator > 0 else { return nil }
            return (n * stv - st * sv) / denominator * slopePer
        }
    }
}
