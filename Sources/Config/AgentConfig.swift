import Boards
import Modbus
import YAML

/// A validated, resolved agent configuration: every pin is a chip label and line offset, every rule
/// names existing lines. Made by ``ConfigLoader``; nothing in it needs checking again.
///
/// ## The config file
/// ```yaml
/// board: sim                  # required: sim, rpi3, rpi4, rpi5, zero2w, cm4 (or an alias: pi4, rpi4b …)
/// name: pump-a                # optional agent name (logs, identity); default: the file name without .yaml
/// inputs:
///   - name: button            # required; letters, digits, _ and -, starting with a letter; unique
///     pin: GPIO17             # required; BCM name (GPIO17) or header position (header.11)
///     bias: pull-up           # pull-up | pull-down | disable | as-is (default as-is)
///     active_low: true        # default false; logical 1 = low level
///     debounce: 10ms          # default 0; 250us, 10ms, 1.5s, 1m …
///     edges: both             # both | rising | falling | none (default both)
/// outputs:
///   - name: lamp              # as for inputs; input and output names share one namespace
///     pin: GPIO27
///     initial: off            # on | off (also true/false, yes/no), default off; driven when the line is requested
///     safe: off               # the fail-safe value, driven on shutdown and faults; default = initial
///     active_low: false       # default false
/// rules:                      # each rule: one `when` and exactly one action
///   - when: button rises      # <input> rises | falls | changes (logical value, after active_low and debounce)
///     set: lamp on            # set: <output> on|off
///   - when: button falls
///     toggle: lamp            # toggle: <output>
///   - when: door rises
///     pulse: buzzer 200ms     # pulse: <output> <duration>: on now, off after the duration (re-trigger extends)
/// ```
///
/// `modbus:`, `server:`, `peers:`, `features:` and `decide:` are described in their `…Section.swift` files.
///
/// ## What is checked (all before any GPIO line is requested; every error has `file:line:column`)
/// - YAML syntax; duplicate keys; anchors and aliases are refused.
/// - Unknown keys, at the top level and in every entry, with "did you mean" and the known keys.
/// - The board exists (else: the known boards); each pin is a GPIO of that board's header (else: the
///   board's GPIO range, or "power pin"/"ground pin"); no pin serves two entries (both uses are named).
/// - Names are well formed and unique; rules name an existing input and output; a rule whose edge the
///   input does not report (`rises` on an input with `edges: falling`) is an error.
/// - Values: bias, edges, on/off, durations.
/// - Warnings (the config still runs): a pin with a fixed board role (I2C1, UART, HAT ID EEPROM, SPI0) used
///   as plain GPIO; a debounce over 10 s.
///
/// ## Sections
/// Each top-level section is decoded by its own file (`InputsSection.swift` …). Adding one (`modbus:`):
/// its key in ``ConfigLoader/topLevelKeys``, a `ModbusSection.swift` with `decode(_:_:)`, and a field here.
public struct AgentConfig: Sendable {
    /// The longest agent name: 64 characters. The name is part of the agent's socket paths, the longest being
    /// the mock chip socket of a board's second chip, `/tmp/fieldagent-NAME.sock.LABEL` (built-in labels are at
    /// most 20 characters), which must fit ``maximumSocketPath``.
    public static let maximumNameLength = 64
    /// The longest path a Unix socket address holds: 107 bytes (`sun_path` is 108 with its terminating NUL).
    public static let maximumSocketPath = 107

    /// The config file's path (as given to the loader).
    public var file: String
    /// The agent's name, for logs, identity and socket names.
    public var name: String
    /// The board the pins were resolved on.
    public var board: Board
    /// The inputs, in file order.
    public var inputs: [InputConfig]
    /// The outputs, in file order.
    public var outputs: [OutputConfig]
    /// The rules, in file order.
    public var rules: [Rule]
    /// The Modbus devices (`modbus:`, see `ModbusSection.swift`), in file order.
    public var modbus: [ModbusDeviceConfig] = []
    /// The agent's Modbus TCP server (`server:`, see `ServerSection.swift`); nil when the section is absent.
    public var server: ModbusServerConfiguration?
    /// Modbus/TCP Security (`server: tls:`, see `ServerTLSSection.swift`): the TLS listener, the agent's
    /// certificate (also for `tls://` sensors and peers) and the rights per role; nil when off.
    public var serverTLS: ModbusTLSSettings?
    /// What plaintext Modbus TCP clients may do (`server: plain:`): everything without TLS, reads or nothing beside it.
    public var plainServer: PlainServerMode = .readWrite
    /// Numeric addresses allowed to write the command block, besides the peers' (`server: writers:`).
    public var writers: [String] = []
    /// The peer agents polled (`peers:`, see `PeersSection.swift`).
    public var peers: [PeerConfig] = []
    /// The features (`features:`, see `FeaturesSection.swift`), in file order; exported in this order.
    public var features: [FeatureConfig] = []
    /// The decision (`decide:`, see `DecideSection.swift`); nil when the agent runs no model.
    public var decision: DecisionConfig?
    /// The Sparkplug B uplink (`uplink:`); nil without one.
    public var uplink: UplinkConfig?
    /// Behaviour and quarantine of the server's clients (`security:`, see `SecuritySection.swift`); nil: off.
    public var security: SecurityConfig?

    /// A config; usually made by ``ConfigLoader``, which checks what this initializer does not.
    public init(file: String, name: String, board: Board, inputs: [InputConfig], outputs: [OutputConfig], rules: [Rule]) {
        self.file = file
        self.name = name
        self.board = board
        self.inputs = inputs
        self.outputs = outputs
        self.rules = rules
    }

    /// The input called `name`.
    public func input(named name: String) -> InputConfig? { inputs.first { $0.name == name } }

    /// The output called `name`.
    public func output(named name: String) -> OutputConfig? { outputs.first { $0.name == name } }
}
