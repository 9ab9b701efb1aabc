import EventLoop

/// What the uplink has done since start (status, metrics).
public struct UplinkStats: Sendable {
    /// The broker connected to, nil when offline.
    public var broker: String?
    /// Born (NBIRTH sent, primary host online when configured).
    public var online = false
    public var connects: UInt64 = 0
    public var connectFailures: UInt64 = 0
    /// Last reason a connection ended or failed.
    public var lastProblem: String?
    /// NBIRTHs sent (first births and rebirths).
    public var births: UInt64 = 0
    /// NDATA/DDATA messages acknowledged by the broker (live and replayed).
    public var published: UInt64 = 0
    /// Of those, replayed from the buffer.
    public var replayed: UInt64 = 0
    /// Metric samples in acknowledged messages.
    public var samples: UInt64 = 0
    public var commandsAccepted: UInt64 = 0
    public var commandsRefused: UInt64 = 0
    /// Publish → PUBACK time, microseconds: sum, count, max (mean in status).
    public var latencySumMicros: UInt64 = 0
    public var latencyCount: UInt64 = 0
    public var latencyMaxMicros: UInt64 = 0

    mutating func recordLatency(_ d: Duration) {
        let us = UInt64(max(0, d.nanoseconds / 1000))
        latencySumMicros &+= us
        latencyCount &+= 1
        latencyMaxMicros = max(latencyMaxMicros, us)
    }
}
