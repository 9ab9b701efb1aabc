/// What the agent's single event loop can serve, as `check` enforces it.
public enum LoopLimits {
    /// The shortest period of a repeating timer: `decide: every:`, a Modbus point's `poll:`, a peer's
    /// `interval:`. One decision tick takes up to about 30 µs on a desktop CPU and several times that on a
    /// Raspberry Pi; a Modbus poll is a request and an answer through the kernel. At 1 ms such a timer takes a
    /// few percent of the loop; much shorter, it would keep the loop busy with that timer alone, behind its
    /// deadlines, and the watchdog would stop pinging (see `LoopHealthPolicy`).
    public static let minimumCadence: Duration = .milliseconds(1)
}
