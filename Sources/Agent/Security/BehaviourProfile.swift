/// What normal behaviour looks like, per feature: a running mean and standard deviation (Welford) of the windows
/// seen while learning, with a floor under each deviation so that a feature that never moved while learning
/// (a write fraction of exactly 0) does not make the smallest change infinitely unusual.
///
/// The score of a window is its most unusual feature's distance above normal, in deviations: one-sided, since
/// less traffic, fewer writes or fewer exceptions than usual is no attack. Pure; no allocation when scoring.
public struct BehaviourProfile: Sendable {
    /// Per feature (``SourceBehaviour/featureNames`` order): the smallest deviation used.
    public static let floors: [Double] = [1.0, 0.05, 0.05, 0.05, 2, 1, 1, 0.5]

    /// The profile of the simulation's normal M2M traffic (one peer polling the status and values blocks every
    /// 500 ms, as `make run` does), for `learn: 0`: means and deviations at their floors.
    public static let simulationDefault = BehaviourProfile(means: [4, 0, 0, 0, 3, 0, 0, 1], counts: 1)

    public private(set) var count = 0
    public private(set) var means: [Double]
    private var m2: [Double]

    public init() {
        means = Array(repeating: 0, count: Self.floors.count)
        m2 = Array(repeating: 0, count: Self.floors.count)
    }

    init(means: [Double], counts: Int) {
        self.means = means
        m2 = Array(repeating: 0, count: means.count)
        count = counts
    }

    /// Learns one window's features.
    public mutating func learn(_ x: [Double]) {
        count += 1
        for i in means.indices where i < x.count {
            let d = x[i] - means[i]
            means[i] += d / Double(count)
            m2[i] += d * (x[i] - means[i])
        }
    }

    /// The deviation used for feature `i`: the learned one, at least the floor.
    public func deviation(_ i: Int) -> Double {
        let learned = count > 1 ? (m2[i] / Double(count - 1)).squareRoot() : 0
        return max(learned, Self.floors[i])
    }

    /// Per feature, how many deviations above the learned mean `x` is (0 when below).
    public func zScores(_ x: [Double]) -> [Double] {
        means.indices.map { i in i < x.count ? max(0, (x[i] - means[i]) / deviation(i)) : 0 }
    }

    /// The window's score: its most unusual feature's z-score.
    public func score(_ x: [Double]) -> Double { zScores(x).max() ?? 0 }
}
