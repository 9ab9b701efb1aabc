import EventLoop
import Glibc

/// What every signal does to a running agent (`fieldagent run`, `fieldagent sim`): none ends it without the
/// safe shutdown that drives every output to its safe value.
///
/// | signals | outcome |
/// |---|---|
/// | SIGTERM, SIGINT | safe shutdown, exit status 0: a requested stop (`systemctl stop`, Ctrl-C) |
/// | SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGIO, SIGPWR, SIGSTKFLT, SIGRTMIN…SIGRTMAX | safe shutdown, exit status 128 + the signal's number: a stop nobody asked the agent for, so systemd counts a failure and `Restart=on-failure` starts it again |
/// | SIGHUP | with `server: tls:`, the certificates are reloaded (``AgentRuntime/reloadTLS()``); else logged and ignored: the config is read once; restart the service to load a changed one |
/// | SIGPIPE, SIGXFSZ | ignored: the write fails with `EPIPE` / `EFBIG` instead (`fieldagent run … \| head` does not kill it) |
/// | SIGTSTP, SIGTTIN, SIGTTOU | ignored: a terminal cannot freeze the agent while it drives outputs |
/// | SIGCHLD, SIGCONT, SIGURG, SIGWINCH | the default: nothing happens |
/// | SIGKILL, SIGSTOP, and the crash signals SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS | cannot be caught, or mean the process is broken: it ends without its own safe shutdown (systemd's `ExecStopPost=` step covers that) |
///
/// The stop signals are taken through the loop's signalfd, so the shutdown runs on the loop like everything else.
public enum SignalPolicy {
    /// Signals that ask the agent to stop: safe shutdown, exit status 0.
    public static let requestedStop: [Int32] = [SIGTERM, SIGINT]

    /// Signals whose default would kill the agent without a safe shutdown: safe shutdown, exit status 128 + number.
    public static var unexpectedStop: [Int32] {
        [SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGIO, SIGPWR, SIGSTKFLT]
            + Array(__libc_current_sigrtmin()...__libc_current_sigrtmax())
    }

    /// Signals that are ignored: their default would kill the agent (SIGPIPE, SIGXFSZ) or freeze it (SIGTSTP …).
    public static let ignored: [Int32] = [SIGPIPE, SIGXFSZ, SIGTSTP, SIGTTIN, SIGTTOU]

    /// The exit status after a safe shutdown caused by `signal`.
    public static func exitStatus(after signal: Int32) -> Int32 { requestedStop.contains(signal) ? 0 : 128 + signal }

    /// Installs the policy for the process on `loop`: the ignored signals are ignored, and `stop` (with the signal)
    /// and `hangup` run on the loop when a stop signal or SIGHUP arrives. Calling it again replaces the handlers;
    /// a signal that arrived in between waits in the signalfd for the new ones.
    public static func install(on loop: EventLoop, stop: @escaping (Int32) -> Void, hangup: @escaping () -> Void) throws(SystemError) {
        for signal in ignored { Glibc.signal(signal, SIG_IGN) }
        for signal in requestedStop + unexpectedStop {
            try loop.onSignal(signal) { stop(signal) }
        }
        try loop.onSignal(SIGHUP, hangup)
    }

    /// `SIGTERM`, `SIGUSR1`, `SIGRTMIN+3`: the name logs use.
    public static func name(of signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE",
            SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGSTKFLT: "SIGSTKFLT", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
            SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGIO: "SIGIO", SIGPWR: "SIGPWR", SIGTSTP: "SIGTSTP",
            SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU",
        ]
        if let name = names[signal] { return name }
        let rtmin = __libc_current_sigrtmin()
        if signal >= rtmin && signal <= __libc_current_sigrtmax() { return signal == rtmin ? "SIGRTMIN" : "SIGRTMIN+\(signal - rtmin)" }
        return "signal \(signal)"
    }
}
