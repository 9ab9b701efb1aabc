import CommandLineTool
import Agent
import Boards
import Config
import EventLoop
import Glibc

/// Options shared by the commands that read a config: `--config`, `--boards`, `--log-level`.
struct CommonOptions {
    var configPath: String
    var boardsDirectory: String?
    var logger: Logger

    static func parse(_ args: inout Arguments, requireConfig: Bool = true) throws -> CommonOptions {
        let config = try args.option("--config") ?? (requireConfig ? nil : "")
        guard let config else { throw UsageError("\(args.command): --config FILE is required (see \(args.command) --help)") }
        let boards = try args.option("--boards")
        let level = try args.option("--log-level", expecting: "debug, info, notice, warning or error") { Logger.Level(name: $0) }
        return CommonOptions(configPath: config, boardsDirectory: boards, logger: Logger(minimumLevel: level ?? .info))
    }

    /// The board catalog: the built-in boards, or those in `--boards DIR` / `$FIELDAGENT_BOARDS`.
    func catalog() throws -> BoardCatalog {
        try makeCatalog(directory: boardsDirectory)
    }

    /// Loads and validates the config; prints warnings; throws with every error, each with file:line:column.
    func loadConfig() throws -> (AgentConfig, BoardCatalog) {
        let catalog = try catalog()
        let (config, warnings) = try ConfigLoader.forThisBinary(catalog: catalog).load(path: configPath)
        for w in warnings { StandardError.write("\(w)\n") }
        return (config, catalog)
    }
}

/// The board catalog: the boards in `directory` (or `$FIELDAGENT_BOARDS`) when given, else the built-in ones.
func makeCatalog(directory: String?) throws -> BoardCatalog {
    if let dir = directory ?? environment("FIELDAGENT_BOARDS") { return try BoardCatalog.load(directory: dir) }
    return try BoardCatalog.builtIn()
}

/// An environment variable, or nil.
func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

/// The named variables of the process environment that are set.
func processEnvironment(_ names: [String]) -> [String: String] {
    var out: [String: String] = [:]
    for n in names { if let v = getenv(n) { out[n] = String(cString: v) } }
    return out
}
