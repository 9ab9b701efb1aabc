/// Logs an event that a misbehaving or hostile source can repeat without limit (a refused connection, a
/// refused write) once per source per interval, with a count, so a flood cannot flood the journal.
///
/// The first occurrence from a source logs at once, with its fields; later ones within `interval` are only
/// counted, and when the interval ends one line says how many there were (`repeated=19999 over=10s`), with the
/// last occurrence's fields. A source that stays quiet for a whole interval is forgotten. At most
/// `maxSources` sources are tracked at once; beyond that, occurrences are counted under `source=other`.
/// Not thread-safe; use it on the loop's thread.
public final class RateLimitedLog {
    private struct Entry {
        var suppressed: Int
        var fields: [(String, String)]
    }

    /// The event name logged.
    public let event: String
    /// The window per source.
    public let interval: Duration
    /// The most sources tracked at once.
    public let maxSources: Int
    /// Occurrences seen, logged or not.
    public private(set) var occurrences: UInt64 = 0
    /// Lines written.
    public private(set) var linesLogged: UInt64 = 0

    private let loop: any EventLoop
    private let logger: Logger
    private let level: Logger.Level
    private var entries: [String: Entry] = [:]
    private var timer: TimerID?

    public init(event: String, level: Logger.Level = .warning, loop: any EventLoop, logger: Logger,
                interval: Duration = .seconds(10), maxSources: Int = 64) {
        self.event = event
        self.level = level
        self.loop = loop
        self.logger = logger
        self.interval = interval
        self.maxSources = max(1, maxSources)
    }

    deinit {
        if let timer { loop.cancel(timer) }
    }

    /// One occurrence from `source` (an address), with what to say about it.
    public func record(source: String, _ fields: [(String, String)]) {
        occurrences &+= 1
        var key = source
        if entries[key] == nil && entries.count >= maxSources { key = "other" }
        if var entry = entries[key] {
            entry.suppressed += 1
            entry.fields = fields
            entries[key] = entry
            return
        }
        entries[key] = Entry(suppressed: 0, fields: fields)
        write(key, fields, extra: [])
        if timer == nil { timer = loop.schedule(after: interval) { [weak self] in self?.flush() } }
    }

    /// Writes the counts of the interval that ends now (also called by the timer).
    public func flush() {
        timer = nil
        var next: [String: Entry] = [:]
        for (key, entry) in entries.sorted(by: { $0.key < $1.key }) where entry.suppressed > 0 {
            write(key, entry.fields, extra: [("repeated", "\(entry.suppressed)"), ("over", Self.text(interval))])
            // The source is still at it: the next occurrence is counted, not logged at once.
            next[key] = Entry(suppressed: 0, fields: entry.fields)
        }
        entries = next
        if !entries.isEmpty { timer = loop.schedule(after: interval) { [weak self] in self?.flush() } }
    }

    private func write(_ source: String, _ fields: [(String, String)], extra: [(String, String)]) {
        linesLogged &+= 1
        logger.log(level, event, pairs: [("source", source)] + fields + extra)
    }

    /// `10s`, `500ms`: the interval as log lines show it.
    private static func text(_ d: Duration) -> String {
        let ns = d.nanoseconds
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        return "\(ns / 1_000)us"
    }
}
