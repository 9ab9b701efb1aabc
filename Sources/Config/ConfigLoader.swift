import Boards
import Glibc
import YAML

/// Reads an agent config: YAML text → checked, resolved ``AgentConfig`` (the format is described there).
///
/// Every problem is collected with its place and thrown together as ``ConfigErrors``, in file order;
/// nothing here touches hardware, so a config that throws has moved no output.
/// ```swift
/// do {
///     let (config, warnings) = try ConfigLoader(catalog: try .builtIn()).load(path: "config.yaml")
///     for w in warnings { print(w) }        // config.yaml:9:10: warning: GPIO2 (header.3) is i2c1-sda …
/// } catch {
///     print(error)                          // config.yaml:14:7: error: unknown pin "GPIO71" on board rpi4; …
/// }
/// ```
public struct ConfigLoader: Sendable {
    /// The top-level keys a config may have; any other is an error listing these. A new section adds its
    /// key here (one line), decodes it in its own `…Section.swift`, and stores the result in ``AgentConfig``.
    public static let topLevelKeys = ["board", "name", InputsSection.key, OutputsSection.key, RulesSection.key, ModbusSection.key, ServerSection.key, PeersSection.key, FeaturesSection.key, DecideSection.key, UplinkSection.key, SecuritySection.key]

    /// The boards that `board:` may name.
    public let catalog: BoardCatalog

    /// The compiled-in model's labels and features, against which `decide:` is checked.
    public let model: ModelSignature?

    /// A loader that finds boards in `catalog` and checks `decide:` against `model`.
    public init(catalog: BoardCatalog, model: ModelSignature? = nil) {
        self.catalog = catalog
        self.model = model
    }

    /// Loads the file at `path` (a regular file of at most ``YAMLParser/maximumFileSize`` bytes; a FIFO, a device
    /// or anything larger is refused at once); returns the config and its warnings, or throws every error.
    public func load(path: String) throws(ConfigErrors) -> (AgentConfig, [ConfigDiagnostic]) {
        let text: String
        do {
            text = try YAMLParser.read(path: path, what: "the config")
        } catch {
            throw ConfigErrors([ConfigDiagnostic(error.mark, .error, error.message)])
        }
        return try load(text: text, file: path)
    }

    /// Loads config `text`; `file` is the name used in messages (and for the default agent name).
    public func load(text: String, file: String) throws(ConfigErrors) -> (AgentConfig, [ConfigDiagnostic]) {
        let root: YAMLNode
        do {
            root = try YAMLParser.parse(text, file: file)
        } catch {
            throw ConfigErrors([ConfigDiagnostic(error.mark, .error, error.message)])
        }
        let r = ConfigReader()
        if root.scalarValue == "" {
            r.error(SourceMark(file: file, line: 1, column: 1), "the config is empty; it needs at least 'board:' (see Examples/sim-basic.yaml)")
            throw ConfigErrors(r.diagnostics)
        }
        guard let top = r.fields(root, what: "the config", known: Self.topLevelKeys) else { throw ConfigErrors(r.diagnostics) }

        // A misspelt key (`input:`) has been reported; its value is still checked as the key it almost
        // names, so that one typo does not also make every rule report an unknown input.
        var sections = top
        for (key, value) in root.mappingPairs ?? [] {
            guard let k = key.scalarValue, top[k] == nil, let meant = Spelling.closest(to: k, among: Self.topLevelKeys),
                  sections[meant] == nil else { continue }
            sections[meant] = value
        }

        var board: Board?
        if let boardName = r.required(sections, "board", in: "the config", at: root.mark), let node = sections["board"] {
            do {
                board = try catalog.board(named: boardName)
            } catch {
                r.error(node.mark, error.description)
            }
        }
        var name = Self.defaultName(file)
        if let node = sections["name"], let given = r.string(node, "name") {
            if NameRegistry.isValid(given) { name = given } else { r.error(node.mark, "name '\(given)': use letters, digits, _ and -, starting with a letter") }
        }
        // The name is part of the agent's socket paths, which a Unix socket address bounds.
        if name.utf8.count > AgentConfig.maximumNameLength {
            let given = sections["name"]
            let origin = given == nil ? " (taken from the file name; set 'name:')" : ""
            r.error(given?.mark ?? SourceMark(file: file, line: 1, column: 1),
                    "the agent name is \(name.utf8.count) characters long\(origin); at most \(AgentConfig.maximumNameLength), so that its socket paths (such as /tmp/fieldagent-NAME.status.sock) fit the \(AgentConfig.maximumSocketPath) bytes of a Unix socket address")
        }

        let context = ConfigContext(reader: r, board: board)
        let inputs = InputsSection.decode(sections[InputsSection.key], context)
        let outputs = OutputsSection.decode(sections[OutputsSection.key], context)
        let rules = RulesSection.decode(sections[RulesSection.key], context, inputs: inputs)
        let modbus = ModbusSection.decode(sections[ModbusSection.key], context)
        let server = ServerSection.decode(sections[ServerSection.key], context)
        let peers = PeersSection.decode(sections[PeersSection.key], context)
        let security = SecuritySection.decode(sections[SecuritySection.key], context, hasServer: server != nil, model: model)
        for p in peers where modbus.contains(where: { $0.name == p.name }) {
            r.error(p.location, "the peer name '\(p.name)' is also a Modbus device's name; features and rules could not tell them apart")
        }
        let features = FeaturesSection.decode(sections[FeaturesSection.key], context, devices: modbus, peers: peers)
        let decision = DecideSection.decode(sections[DecideSection.key], context,
                                            .init(model: model, features: features, outputs: outputs, inputs: inputs, devices: modbus, peers: peers))
        if let decision {
            let decided = Set(decision.decidedOutputs)
            for rule in rules where decided.contains(rule.action.output) {
                r.warning(rule.location, "output '\(rule.action.output)' is driven by this rule and by decide:; the next decision tick overrides the rule")
            }
        }
        if server?.tls == nil {
            for p in peers where p.tls {
                r.error(p.location, "peer '\(p.name)' has tls: on, but the agent has no certificate: add server: tls: (ca, cert, key)")
            }
            for item in sections[ModbusSection.key]?.sequenceItems ?? [] {
                guard let endpoint = item["endpoint"], endpoint.scalarValue?.hasPrefix("tls://") == true else { continue }
                r.error(endpoint.mark, "\(item["name"]?.scalarValue.map { "device '\($0)'" } ?? "a device") is reached over tls://, but the agent has no certificate: add server: tls: (ca, cert, key)")
            }
        }
        let uplink = UplinkSection.decode(sections[UplinkSection.key], context, agentName: name)
        if !peers.isEmpty && server == nil {
            r.warning(SourceMark(file: file, line: peers[0].location.line, column: 1), "peers are polled but this agent has no server: section, so they cannot poll it back")
        }

        guard let board, !r.hasErrors else { throw ConfigErrors(r.sortedDiagnostics) }
        var config = AgentConfig(file: file, name: name, board: board, inputs: inputs, outputs: outputs, rules: rules)
        config.modbus = modbus
        config.server = server?.configuration
        config.writers = server?.writers ?? []
        config.serverTLS = server?.tls
        config.plainServer = server?.plain ?? .readWrite
        config.peers = peers
        config.features = features
        config.decision = decision
        config.uplink = uplink
        config.security = security
        return (config, r.sortedDiagnostics)
    }

    /// The agent name for a config without `name:`: `/etc/fieldagent/pump-a.yaml` → `pump-a`.
    public static func defaultName(_ file: String) -> String {
        var base = String(file.split(separator: "/").last ?? "agent")
        if base.hasSuffix(".yaml") { base.removeLast(5) } else if base.hasSuffix(".yml") { base.removeLast(4) }
        let cleaned = String(base.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        return NameRegistry.isValid(cleaned) ? cleaned : "agent"
    }
}
