import CommandLineTool
import EventLoop
import Glibc
import Service

/// `fieldagent release`: releases a client address a running agent quarantined (`security:`).
enum ReleaseCommand {
    static let command = Command(
        name: "release",
        summary: "Release a client address a running agent quarantined (security:)",
        help: """
        USAGE: fieldagent release [NAME | --socket PATH] ADDRESS [--timeout SECONDS]

        With a security: section, an agent learns how each client of its Modbus server behaves and quarantines
        one that turns abnormal (its writes refused; with refuse_connections, its connections too). It is
        released after release_after of normal behaviour, or by this command, over the agent's status socket.
        fieldagent status NAME lists the sources, their scores and why one was quarantined.

        Exit status: 0 when released, 1 when it was not quarantined or the agent could not be asked.

        EXAMPLES:
          fieldagent release line-a 10.0.0.7
          echo "release 10.0.0.7" | socat - UNIX-CONNECT:/run/fieldagent/line-a.sock
        """,
        run: { args in
            let socket = try args.option("--socket")
            let timeout = try args.option("--timeout", expecting: "a number of seconds, for example 2 or 0.5", StatusCommand.parseSeconds)
            var words: [String] = []
            while let w = args.positional() { words.append(w) }
            try args.finish()
            guard let address = words.last, words.count == (socket == nil ? 2 : 1) || (socket == nil && words.count == 1) else {
                throw UsageError("\(args.command): give NAME (or --socket PATH) and the ADDRESS to release (see --help)")
            }
            let name = words.count == 2 ? words[0] : nil
            let path = try socket ?? StatusCommand.findSocket(name: name)
            let answer: String
            do throws(SystemError) {
                answer = try StatusClient.query(path: path, request: .release, argument: address, timeout: timeout ?? .seconds(2))
            } catch {
                throw StatusCommand.StatusFailure(StatusCommand.explain(error, path: path))
            }
            if answer.hasPrefix("error: ") || answer.includes("is not quarantined") {
                StandardError.write("fieldagent release: \(answer.hasPrefix("error: ") ? String(answer.dropFirst(7)) : answer)")
                return 1
            }
            writeStandardOutput(answer)
            return 0
        })
}
