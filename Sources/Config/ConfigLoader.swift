import Boards
import Glibc
import YAML

/// Reads an agent config: YAML → checked, resolved ``AgentConfig``. Every error is collected with its
/// place and thrown together as ``ConfigErrors``; nothing here touches hardware.
public struct ConfigLoader {
    /// The top-level sections and the keys they own. Adding a section is one line here and one file.
    public static let topLevelKeys = ["board", "name", "inputs", "outputs", "rules"]

    public let catalog: BoardCatalog

    public init(catalog: BoardCatalog) { self.catalog = catalog }

    /// Loads the file at `path`; returns the config and its warnings.
    public func load(path: String) throws(ConfigErrors) -> (AgentConfig, [ConfigDiagnostic]) {
        guard let text = YAMLParser.readFile(path) else {
            let reason = String(cString: strerror(errno))
            throw ConfigErrors([ConfigDiagnostic(SourceMark(file: path, line: 0, column: 0), .error, "cannot read the config: \(reason)")])
        }
        return try load(text: text, file: path)
    }

    /// Loads config text; `file` is the name used in messages.
    public func load(text: String, file: String) throws(ConfigErrors) -> (AgentConfig, [ConfigDiagnostic]) {
        let root: YAMLNode
        do {
            root = try YAMLParser.parse(text, file: file)
        } catch {
            throw ConfigErrors([ConfigDiagnostic(error.mark, .error, error.message)])
        }
        let r = ConfigReader()
        let start = SourceMark(file: file, line: 1, column: 1)
        guard let top = r.fields(root, what: "the config", known: Self.topLevelKeys) else { throw ConfigErrors(r.diagnostics) }

        guard let boardName = r.required(top, "board", in: "the config", at: start) else { throw ConfigErrors(r.diagnostics) }
        let board: Board
        do {
            board = try catalog.board(named: boardName)
        } catch {
            r.error(top["board"]!.mark, error.description)
            throw ConfigErrors(r.diagnostics)
        }
        let name = r.string(top["name"], "name") ?? Self.defaultName(file)

        var pins = PinRegistry(board: board, reader: r)
        let inputs = InputsSection.decode(top["inputs"], reader: r, pins: &pins)
        let outputs = OutputsSection.decode(top["outputs"], reader: r, pins: &pins)
        let names = NameRegistry(inputs: inputs.map { ($0.name, $0.location) }, outputs: outputs.map { ($0.name, $0.location) }, reader: r)
        let rules = RulesSection.decode(top["rules"], reader: r, names: names)

        if r.hasErrors { throw ConfigErrors(r.diagnostics) }
        let config = AgentConfig(file: file, name: name, board: board, inputs: inputs, outputs: outputs, rules: rules)
        return (config, r.diagnostics)
    }

    /// `/etc/fieldagent/pump-a.yaml` → `pump-a`.
    static func defaultName(_ file: String) -> String {
        var base = String(file.split(separator: "/").last ?? "agent")
        if base.hasSuffix(".yaml") { base.removeLast(5) } else if base.hasSuffix(".yml") { base.removeLast(4) }
        let cleaned = base.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return cleaned.isEmpty ? "agent" : cleaned
    }
}
