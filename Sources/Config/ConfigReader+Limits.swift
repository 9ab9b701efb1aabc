import YAML

/// Readings of durations that must fit what the agent can serve: time budgets above the loop's resolution, and
/// windows (stale, feature) long enough to hold the samples their source delivers. Without these, `check`
/// would accept configs that run but can never decide.
extension ConfigReader {
    /// The shortest time budget accepted (`timeout`, `connect_timeout`, `idle_timeout`): 1 ms. Below that no
    /// answer can arrive through a loop turn (a Modbus TCP round trip on loopback alone takes about 50 µs).
    static let minimumTimeBudget: Duration = .milliseconds(1)

    /// A time budget (`timeout`, `connect_timeout`, `idle_timeout`) of at least ``minimumTimeBudget``.
    func timeBudget(_ node: YAMLNode, _ what: String) -> Duration? {
        guard let d = duration(node, what) else { return nil }
        guard d >= Self.minimumTimeBudget else {
            error(node.mark, "\(what): \(YAMLScalar.format(d)) is shorter than \(YAMLScalar.format(Self.minimumTimeBudget)), the shortest time the agent can wait for an answer")
            return nil
        }
        return d
    }

    /// Records an error when `staleAfter` (at `node`) is shorter than twice `interval`, the shortest interval at
    /// which `source` answers: such a link would turn stale between two answers, or at the first late one, and
    /// the features reading it would never be valid for long.
    func checkStaleWindow(_ staleAfter: Duration, at node: YAMLNode, interval: Duration, source: String) {
        guard staleAfter < interval * 2 else { return }
        error(node.mark, "stale_after: \(YAMLScalar.format(staleAfter)) is shorter than two \(source) (\(YAMLScalar.format(interval)) each), so the link would turn stale between answers; use at least \(YAMLScalar.format(interval * 2)) (the default is 3 × \(YAMLScalar.format(interval)))")
    }
}
