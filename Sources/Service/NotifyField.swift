import EventLoop

/// One `KEY=VALUE` line of an sd_notify datagram. Several fields sent together take effect atomically.
///
/// See `sd_notify(3)` for the meaning of each; these are the ones the agent uses.
public enum NotifyField: Equatable, Sendable {
    /// `READY=1`: start-up is finished (with `Type=notify`, systemd holds `systemctl start` until this arrives).
    case ready
    /// `RELOADING=1` with `MONOTONIC_USEC=`: the service is reloading its configuration; send ``ready`` when done.
    /// `at` is the loop's `CLOCK_MONOTONIC` time, which systemd requires alongside.
    case reloading(at: Instant)
    /// `STOPPING=1`: the service is shutting down.
    case stopping
    /// `STATUS=...`: a one-line, human-readable status shown by `systemctl status`. Newlines become spaces.
    case status(String)
    /// `WATCHDOG=1`: keep-alive ping; must arrive within `WatchdogSec=` or systemd kills the service.
    case watchdog
    /// `WATCHDOG=trigger`: asks systemd to act as if the watchdog timed out, now.
    case watchdogTrigger
    /// `EXTEND_TIMEOUT_USEC=...`: asks for more time to start up or stop (from now).
    case extendTimeout(Duration)
    /// `ERRNO=...`: the error the service failed with, for `systemctl status`.
    case errno(Int32)

    /// The line as sent, without its trailing newline.
    public var line: String {
        switch self {
        case .ready: "READY=1"
        case .reloading(let now): "RELOADING=1\nMONOTONIC_USEC=\(max(0, now.nanoseconds) / 1000)"
        case .stopping: "STOPPING=1"
        case .status(let text): "STATUS=" + Self.oneLine(text)
        case .watchdog: "WATCHDOG=1"
        case .watchdogTrigger: "WATCHDOG=trigger"
        case .extendTimeout(let d): "EXTEND_TIMEOUT_USEC=\(max(0, d.nanoseconds) / 1000)"
        case .errno(let code): "ERRNO=\(code)"
        }
    }

    /// The protocol is line based: a newline inside a status would start a new (bogus) assignment.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r\n" || $0 == "\r" ? " " : $0 })
    }
}
