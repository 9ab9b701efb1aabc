import CommandLineTool
import EventLoop
import Glibc
import Service

/// `fieldagent reset`: acknowledges a latched fault on a running agent, over its status socket.
enum ResetCommand {
    static let command = Command(
        name: "reset",
        summary: "Reset a running agent's latched class (alarm acknowledgement), once the machine reads healthy",
        help: """
        USAGE: fieldagent reset [NAME | --socket PATH] [--timeout SECONDS]

        A latching class (decide: latch:, by default the worst class, fault) stays in force once it is
        confirmed: its actions hold (the motor stays off) whatever the model says later, through fail-safe
        periods and restarts of the agent, until a reset. This command asks for one over the agent's status
        socket, as the command bit 'reset' (holding register 0, bit 2, from an allowed peer or SCADA) and the
        config's reset_input do.

        The agent accepts a reset only when the machine reads healthy: the first class (normal) in the last
        'confirm' inferences in a row. Otherwise it refuses and says what it sees; nothing changes. After a
        reset the decision starts over: every decided actuator stays safe until a class is confirmed afresh.

        Exit status: 0 when the latch was cleared (or nothing was latched), 1 when the reset was refused or the
        agent could not be asked. The socket is mode 0660 for the fieldagent group (see fieldagent status).

        OPTIONS:
          NAME               the agent's name (as for fieldagent status)
          --socket PATH      ask the agent at this socket instead
          --timeout SECONDS  how long to wait for the answer (default 2)

        EXAMPLES:
          fieldagent reset line-a
          echo reset | socat - UNIX-CONNECT:/run/fieldagent/line-a.sock
        """,
        run: { args in
            let socket = try args.option("--socket")
            let timeout = try args.option("--timeout", expecting: "a number of seconds, for example 2 or 0.5", StatusCommand.parseSeconds)
            let name = args.positional()
            try args.finish()
            if socket != nil && name != nil {
                throw UsageError("\(args.command): give NAME or --socket PATH, not both")
            }
            let path = try socket ?? StatusCommand.findSocket(name: name)
            let answer: String
            do throws(SystemError) {
                answer = try StatusClient.query(path: path, request: .reset, timeout: timeout ?? .seconds(2))
            } catch {
                throw StatusCommand.StatusFailure(StatusCommand.explain(error, path: path))
            }
            if answer.hasPrefix("error: ") {
                StandardError.write("fieldagent reset: \(answer.dropFirst(7))")
                return 1
            }
            writeStandardOutput(answer)
            return 0
        })
}
