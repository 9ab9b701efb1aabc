/// Run-to-failure trajectories of the simulated machine, as the agent's feature windows see them: the data
/// `make train` trains and evaluates the models on (`fieldagent dataset`).
///
/// Each run is a machine that stays healthy for a while, then wears linearly from severity 0 to 1 (the fault)
/// over its life; both lengths differ per run (deterministic from `seed`). Every hour of machine time gives one
/// window of ``samplesPerWindow`` consecutive sensor updates from ``SimulatedMachine/computeValues``, reduced the
/// way `Examples/line-a.yaml` reduces them (``reductions``): the twelve model features at that hour, with the
/// true severity and the true remaining life (hours until severity 1). Pure and deterministic.
public struct WearDataset: Sendable {
    /// How a feature window reduces its samples (the `take:` of `Examples/line-a.yaml`).
    public enum Reduction: Sendable { case mean, peak, last }

    /// Per feature, in model input order: what the example config's `features:` entry takes.
    public static let reductions: [Reduction] = [
        .mean, .peak, .mean, .mean, .mean, .mean, .last, .last, .mean, .mean, .last, .last,
    ]

    /// One window.
    public struct Window: Sendable {
        public var run: Int
        /// Machine hours since the run started.
        public var hour: Int
        public var severity: Double
        /// Hours until the machine reaches fault (severity 1); 0 at and after it.
        public var remainingLifeHours: Double
        /// The twelve features, in model input order.
        public var features: [Float]
    }

    public var runs: Int
    public var seed: UInt64
    /// Sensor noise as a fraction of the class std (the simulation's default, 0.25).
    public var noise: Double
    /// Sensor updates per window (line-a: 2 s windows of 200 ms polls).
    public var samplesPerWindow: Int
    /// Healthy hours before the wear starts: from `healthyHours.lowerBound` to its upper bound, per run.
    public var healthyHours: ClosedRange<Int>
    /// Hours from severity 0 to 1, per run.
    public var lifeHours: ClosedRange<Int>

    public init(runs: Int, seed: UInt64, noise: Double = 0.25, samplesPerWindow: Int = 10,
                healthyHours: ClosedRange<Int> = 40...120, lifeHours: ClosedRange<Int> = 150...250) {
        self.runs = runs
        self.seed = seed
        self.noise = noise
        self.samplesPerWindow = max(1, samplesPerWindow)
        self.healthyHours = healthyHours
        self.lifeHours = lifeHours
    }

    /// A whole number in `range`, the same for the same (seed, run, salt).
    func draw(_ range: ClosedRange<Int>, run: Int, salt: UInt64) -> Int {
        let h = SimulatedMachine.Noise.mix(seed ^ SimulatedMachine.Noise.mix(UInt64(run) &* 0x9E37 &+ salt))
        return range.lowerBound + Int(h % UInt64(range.count))
    }

    /// The healthy hours and the life of `run`.
    public func shape(of run: Int) -> (healthy: Int, life: Int) {
        (draw(healthyHours, run: run, salt: 1), draw(lifeHours, run: run, salt: 2))
    }

    /// Calls `body` with every window of every run, run by run, hour by hour, ending at the failure.
    public func forEachWindow(_ body: (Window) -> Void) {
        var raw = [Float](repeating: 0, count: SimulatedMachine.features.count)
        var sample: UInt64 = 0
        for run in 0..<runs {
            let (healthy, life) = shape(of: run)
            for hour in 0...(healthy + life) {
                let severity = hour <= healthy ? 0 : Double(hour - healthy) / Double(life)
                var window = [Float](repeating: 0, count: raw.count)
                for k in 0..<samplesPerWindow {
                    raw.withUnsafeMutableBufferPointer { buffer in
                        SimulatedMachine.computeValues(severity: severity, noise: noise, seed: seed &+ UInt64(run) &* 7919,
                                                       sample: sample, into: buffer)
                    }
                    sample &+= 1
                    for i in raw.indices {
                        switch Self.reductions[i] {
                        case .mean: window[i] += raw[i] / Float(samplesPerWindow)
                        case .peak: window[i] = k == 0 ? raw[i] : max(window[i], raw[i])
                        case .last: window[i] = raw[i]
                        }
                    }
                }
                body(Window(run: run, hour: hour, severity: severity,
                            remainingLifeHours: Double(healthy + life - hour), features: window))
            }
        }
    }
}
