import EventLoop

/// Pings systemd's watchdog from a timer on the loop, and only while the loop is healthy, so that a ping
/// means "the loop reads its descriptors and keeps up with its timers".
///
/// Before each ping it asks the loop for its ``LoopVitals`` and judges them with a ``LoopHealthPolicy``: a
/// loop that has not come back from `epoll_wait` recently, has been behind its timers for too long, or ran a
/// timer too late sends no ping, and systemd kills and restarts the service after `WatchdogSec=` (its
/// `ExecStopPost=` then drives the outputs safe). A loop that stalls outright runs no timers and sends no
/// pings either. The optional `isHealthy` check lets the agent withhold pings for a fault the loop itself
/// survives; pings resume when every check passes again.
///
/// Does nothing when the notifier has no watchdog (not under systemd, or no `WatchdogSec=`).
/// Not thread-safe; create, start and stop it on the loop's thread.
public final class Watchdog {
    /// Time between pings: the notifier's ``SystemdNotifier/watchdogInterval`` unless given.
    public let interval: Duration?
    /// Pings sent since ``start()``.
    public private(set) var pingsSent = 0
    /// Ticks at which `isHealthy` returned false and no ping was sent.
    public private(set) var pingsWithheld = 0
    /// True between ``start()`` and ``stop()`` when there is a watchdog to ping.
    public var isRunning: Bool { timer != nil }

    private let loop: any EventLoop
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let isHealthy: () -> Bool
    /// The bounds the loop's vitals are judged by.
    public let policy: LoopHealthPolicy
    /// Why the last ping was withheld, or nil when it was sent.
    public private(set) var withheldBecause: String?
    private var timer: TimerID?
    private var failing = false
    private var withholding = false

    /// - Parameters:
    ///   - interval: overrides the notifier's interval (for tests or a more cautious cadence); nil uses the notifier's.
    ///   - policy: when the loop counts as healthy.
    ///   - isHealthy: asked on the loop before each ping; false withholds that ping.
    public init(
        loop: any EventLoop, notifier: SystemdNotifier, interval: Duration? = nil, policy: LoopHealthPolicy = LoopHealthPolicy(),
        logger: Logger = .silent, isHealthy: @escaping () -> Bool = { true }
    ) {
        self.loop = loop
        self.policy = policy
        self.notifier = notifier
        self.interval = notifier.watchdogInterval.map { interval ?? $0 }
        self.logger = logger
        self.isHealthy = isHealthy
    }

    /// Pings now, then every ``interval`` until ``stop()``. Does nothing without a watchdog or when already running.
    public func start() {
        guard let interval, timer == nil else { return }
        logger.info("watchdog.started", ["interval_ms": interval.milliseconds, "max_lateness_ms": policy.maxLateness.milliseconds])
        // The first ping says the service started; the loop's vitals are judged from the next one on.
        _ = loop.collectVitals()
        ping()
        timer = loop.schedule(after: interval) { [weak self] in self?.tick(interval) }
    }

    /// Cancels the next ping. systemd still expects pings until the process exits: call this only on the way out.
    public func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func tick(_ interval: Duration) {
        let problem = policy.problem(loop.collectVitals(), at: loop.preciseNow()) ?? (isHealthy() ? nil : "health check failed")
        if let problem {
            if !withholding {
                logger.warning("watchdog.withheld", ["reason": problem, "action": "no WATCHDOG=1 until the loop is healthy; systemd restarts the service after WatchdogSec"])
            }
            withholding = true
            withheldBecause = problem
            pingsWithheld += 1
        } else {
            if withholding { logger.notice("watchdog.resumed") }
            withholding = false
            withheldBecause = nil
            ping()
        }
        timer = loop.schedule(after: interval) { [weak self] in self?.tick(interval) }
    }

    private func ping() {
        do {
            try notifier.watchdog()
            pingsSent += 1
            if failing { logger.notice("watchdog.ping.recovered") }
            failing = false
        } catch {
            // Logged once per run of failures: a missing socket would otherwise log every few seconds.
            if !failing { logger.warning("watchdog.ping.failed", ["error": error.description]) }
            failing = true
        }
    }
}
