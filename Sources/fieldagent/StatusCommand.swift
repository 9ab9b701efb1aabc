import CommandLineTool
import EventLoop
import Glibc
import Service

/// `fieldagent status`: asks a running agent how it is doing, over its status socket.
enum StatusCommand {
    static let command = Command(
        name: "status",
        summary: "Ask a running agent for its status (links, last decision, loop latency, uptime) or metrics",
        help: """
        USAGE: fieldagent status [NAME | --socket PATH] [--metrics] [--timeout SECONDS]

        Connects to a running agent's status socket and prints what it answers: its peers' link states, the last
        decision, the loop's latency, uptime. With --metrics, the same counters in the Prometheus text format
        (what the agent also writes to /var/lib/fieldagent/metrics/NAME.prom for node_exporter).

        Where agents put their socket (NAME is the config's name:, by default its file name):
          /run/fieldagent/NAME.sock            under systemd (RuntimeDirectory=fieldagent), or when writable
          /tmp/fieldagent-NAME.status.sock     an agent run by hand without access to /run/fieldagent
        Without NAME, the one running agent found there is asked; with several, name one.
        The socket is mode 0660 for the fieldagent user and group: use sudo, or join the group
        (sudo usermod -aG fieldagent $USER, then log in again).

        OPTIONS:
          NAME               the agent's name
          --socket PATH      ask the agent at this socket instead
          --metrics          print the metrics (Prometheus text format) instead of the status
          --timeout SECONDS  how long to wait for the answer (default 2)

        The socket speaks plain text, so other tools work too (requests: status, metrics, reset; the last is
        what 'fieldagent reset' sends):
          echo metrics | socat - UNIX-CONNECT:/run/fieldagent/NAME.sock

        EXAMPLES:
          fieldagent status
          fieldagent status pump-a --metrics
          fieldagent status --socket /tmp/fieldagent-line-a.status.sock
        """,
        run: { args in
            let socket = try args.option("--socket")
            let metrics = args.flag("--metrics")
            let timeout = try args.option("--timeout", expecting: "a number of seconds, for example 2 or 0.5", parseSeconds)
            let name = args.positional()
            try args.finish()
            if socket != nil && name != nil {
                throw UsageError("\(args.command): give NAME or --socket PATH, not both")
            }
            let path = try socket ?? findSocket(name: name)
            let answer: String
            do throws(SystemError) {
                answer = try StatusClient.query(path: path, request: metrics ? .metrics : .status, timeout: timeout ?? .seconds(2))
            } catch {
                throw StatusFailure(explain(error, path: path))
            }
            if answer.hasPrefix("error: ") {
                StandardError.write("fieldagent status: \(path): \(answer.dropFirst(7))")
                return 1
            }
            writeStandardOutput(answer)
            return 0
        })

    /// A positive number of seconds up to an hour, or nil.
    static func parseSeconds(_ text: String) -> Duration? {
        guard let seconds = Double(text), seconds > 0, seconds <= 3600 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The agent's socket: NAME's, or the only running agent's.
    static func findSocket(name: String?) throws -> String {
        if let name {
            let candidates = StatusSocket.candidatePaths(name: name)
            if let path = candidates.first(where: { access($0, F_OK) == 0 }) { return path }
            let others = StatusSocket.discover().map(\.name)
            let running = others.isEmpty ? "no agent socket was found at all" : "agent sockets found: " + others.joined(separator: ", ")
            throw StatusFailure("no agent named '\(name)': neither \(candidates.joined(separator: " nor ")) exists; \(running)")
        }
        let found = StatusSocket.discover()
        // One socket: ask it (a probe would be a connection of its own); the query explains a stale one.
        if found.count == 1 { return found[0].path }
        var live: [StatusSocket.Found] = []
        var denied: [String] = []
        for socket in found {
            switch StatusSocket.probe(socket.path) {
            case .live: live.append(socket)
            case .unreachable(let error) where error.code == EACCES: denied.append(socket.path)
            default: break  // stale sockets of stopped agents
            }
        }
        if live.count == 1 { return live[0].path }
        if live.count > 1 {
            let list = live.map { "\($0.name) (\($0.path))" }.joined(separator: ", ")
            throw StatusFailure("several agents are running: \(list); name one, for example: fieldagent status \(live[0].name)")
        }
        if denied.count == 1 { return denied[0] }  // query() explains the permission problem with the path
        if !denied.isEmpty {
            throw StatusFailure("agent sockets \(denied.joined(separator: ", ")) are not accessible to this user; try: sudo fieldagent status NAME")
        }
        throw StatusFailure("no running agent found in \(StatusSocket.runDirectory) or \(StatusSocket.fallbackDirectory); is fieldagent running? `systemctl status fieldagent`")
    }

    /// The failure as a user can act on it.
    static func explain(_ error: SystemError, path: String) -> String {
        switch error.code {
        case ENOENT:
            return "\(path): no such socket; is the agent running? `systemctl status fieldagent`"
        case ECONNREFUSED:
            return "\(path): no agent answers there (a socket left by an agent that stopped); is fieldagent running? `systemctl status fieldagent`"
        case EACCES, EPERM:
            return "\(path): permission denied; the socket is for the fieldagent group: run `sudo fieldagent status`, or join the group with `sudo usermod -aG fieldagent $USER` and log in again"
        case ETIMEDOUT:
            return "\(path): the agent did not answer in time (busy or stalled?); see `journalctl -u fieldagent`"
        default:
            return "\(path): \(error)"
        }
    }

    struct StatusFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
