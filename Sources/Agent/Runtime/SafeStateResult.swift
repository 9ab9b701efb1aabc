/// What ``SafeStateDriver`` found for one actuator: its safe value, where it is, and whether reading it back
/// confirmed that value.
public struct SafeStateResult: Sendable, Equatable {
    /// The config's name: `motor`, `machine.load`.
    public var actuator: String
    /// The safe value as the config writes it: `off`, `on`, `0`.
    public var safe: String
    /// Where it is: `GPIO22 (pinctrl-bcm2711 line 22)`, `tcp://192.168.1.20:502 unit 1 holding 0`.
    public var location: String
    /// True when the value read back is the safe value.
    public var confirmed: Bool
    /// What was read back, or why nothing could be (`read back off`, `busy: held by fieldagent:line-a`).
    public var detail: String

    public init(actuator: String, safe: String, location: String, confirmed: Bool, detail: String) {
        self.actuator = actuator
        self.safe = safe
        self.location = location
        self.confirmed = confirmed
        self.detail = detail
    }
}
