import EventLoop
import Glibc

/// Writes the agent's metrics to `DIRECTORY/NAME.prom` every few seconds, for node_exporter's textfile
/// collector (`--collector.textfile.directory=DIRECTORY`).
///
/// Each write is atomic in the collector's convention: the text goes to `NAME.prom.tmp.<pid>` in the same
/// directory (which the collector ignores: it reads only `*.prom`), is flushed to disk, made world-readable
/// (0644, whatever the umask) and renamed over `NAME.prom`. A reader sees the old file or the new one, never
/// a partial one; a failed write removes its temporary file and leaves the previous `NAME.prom` in place.
///
/// The write is a short synchronous file write on the loop's thread (a few hundred microseconds for ~100
/// samples on a local file system; `fsync` on an SD card can take longer: see ``lastWriteDuration`` and
/// ``longestWriteDuration``). A failure is logged once per streak of failures, and recovery once.
/// Not thread-safe; create, start and stop it on the loop's thread.
public final class TextfileExporter {
    /// Where the unit's `StateDirectory=fieldagent fieldagent/metrics` puts it.
    public static let defaultDirectory = "/var/lib/fieldagent/metrics"
    /// node_exporter reads the file at each scrape (typically every 15–60 s): 10 s keeps it fresh enough.
    public static let defaultInterval: Duration = .seconds(10)

    /// The file node_exporter reads: `DIRECTORY/NAME.prom`.
    public let path: String
    /// Time between writes.
    public let interval: Duration
    /// Whether each write is `fsync`ed before the rename (durable across a power cut; costs SD-card writes).
    public let sync: Bool
    /// Successful writes since ``start()``.
    public private(set) var writes = 0
    /// Failed writes since ``start()``.
    public private(set) var failures = 0
    /// Runs of consecutive failed periodic writes; each is logged once, when it begins.
    public private(set) var failureStreaks = 0
    /// The error of the most recent write, or nil when it succeeded (or none happened yet).
    public private(set) var lastError: SystemError?
    /// How long the most recent write (render included) held the loop.
    public private(set) var lastWriteDuration: Duration?
    /// The longest write so far.
    public private(set) var longestWriteDuration: Duration = .zero
    /// True between ``start()`` and ``stop()``.
    public var isRunning: Bool { timer != nil }

    private let loop: any EventLoop
    private let logger: Logger
    private let provider: () -> [MetricFamily]
    private var timer: TimerID?
    private var text = ""

    /// - Parameters:
    ///   - name: the file's base name (the agent's name): no `/`, not empty, not starting with `.`. Checked: traps otherwise.
    ///   - directory: must exist and be writable by the agent.
    ///   - provider: called on the loop at each write; returns the families to write.
    public init(
        loop: any EventLoop, name: String, directory: String = TextfileExporter.defaultDirectory,
        interval: Duration = TextfileExporter.defaultInterval, sync: Bool = true, logger: Logger = .silent,
        provider: @escaping () -> [MetricFamily]
    ) {
        precondition(!name.isEmpty && !name.hasPrefix(".") && !name.contains("/"), "metrics file name '\(name)' must be a plain file name")
        precondition(interval > .zero, "metrics interval must be positive")
        self.loop = loop
        self.path = (directory.hasSuffix("/") ? directory : directory + "/") + name + ".prom"
        self.interval = interval
        self.sync = sync
        self.logger = logger
        self.provider = provider
    }

    /// Writes now, then every ``interval`` until ``stop()``. Does nothing when already running.
    public func start() {
        guard timer == nil else { return }
        logger.info("metrics.textfile.started", ["path": path, "interval_s": interval.milliseconds / 1000])
        tick()
    }

    /// Stops writing. With `removeFile`, also removes `NAME.prom`, so node_exporter stops reporting values
    /// that no longer change (the `node_textfile_mtime_seconds` metric tells a stale file otherwise).
    public func stop(removeFile: Bool = false) {
        if let timer { loop.cancel(timer) }
        timer = nil
        if removeFile { unlink(path) }
    }

    /// Renders the provider's families and writes them now (also what each tick does). Throws what
    /// ``writeAtomically(_:to:sync:)`` throws; the periodic writes log instead.
    public func writeNow() throws(SystemError) {
        let start = loop.preciseNow()
        text.removeAll(keepingCapacity: true)
        PrometheusText.render(provider(), into: &text)
        defer {
            let took = loop.preciseNow() - start
            lastWriteDuration = took
            if took > longestWriteDuration { longestWriteDuration = took }
        }
        do {
            try Self.writeAtomically(text, to: path, sync: sync)
            writes += 1
            lastError = nil
        } catch {
            failures += 1
            lastError = error
            throw error
        }
    }

    private func tick() {
        let wasFailing = lastError != nil
        do {
            try writeNow()
            if wasFailing { logger.notice("metrics.textfile.recovered", ["path": path]) }
        } catch {
            // Logged once per run of failures: a full disk or a missing directory would otherwise log every 10 s.
            if !wasFailing {
                failureStreaks += 1
                logger.warning("metrics.textfile.failed", ["path": path, "error": error.description])
            }
        }
        timer = loop.schedule(after: interval) { [weak self] in self?.tick() }
    }

    /// Replaces the file at `path` with `text` atomically: writes `PATH.tmp.<pid>`, `fsync`s it (when `sync`),
    /// sets mode 0644, renames it to `path`. On failure the temporary file is removed, `path` is untouched,
    /// and the error names the file and the C library's reason (`open(/var/lib/…/a.prom.tmp.42): Permission denied (errno 13)`).
    /// The corresponding C functions are `open`, `write`, `fsync`, `fchmod`, `close` and `rename`.
    public static func writeAtomically(_ text: String, to path: String, sync: Bool = true) throws(SystemError) {
        let temporary = path + ".tmp.\(getpid())"
        let fd = try retryingSyscall("open(\(temporary))") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        }
        do throws(SystemError) {
            var text = text
            let written = text.withUTF8 { bytes in
                Result { () throws(SystemError) in
                    var offset = 0
                    while offset < bytes.count {
                        // bytes is text's UTF-8, valid for this closure; we write the part not written yet.
                        offset += try retryingSyscall("write(\(temporary))") { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
                    }
                }
            }
            try written.get()
            if sync { _ = try retryingSyscall("fsync(\(temporary))") { fsync(fd) } }
            _ = try retryingSyscall("fchmod(\(temporary), 0644)") { fchmod(fd, 0o644) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        // close can report a deferred write error (NFS, quota): the file would be incomplete.
        if close(fd) != 0 && errno != EINTR {
            let error = SystemError("close(\(temporary))")
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let error = SystemError("rename(\(temporary), \(path))")
            unlink(temporary)
            throw error
        }
    }
}
