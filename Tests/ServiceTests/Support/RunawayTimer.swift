import EventLoop

/// A timer that re-arms itself 1 ns ahead until `limit` of wall-clock time has passed (what `decide: every:
/// 1us` once did), counting its runs. It gives up by itself, so a loop that never reaches its descriptors
/// still ends the test.
final class RunawayTimer {
    private(set) var runs = 0
    private(set) var running = true
    let loop: EpollLoop
    let until: Instant

    init(loop: EpollLoop, for limit: Duration) {
        self.loop = loop
        until = MonotonicClock.now() + limit
    }

    func start() { loop.schedule(after: .nanoseconds(1)) { [self] in spin() } }

    private func spin() {
        runs += 1
        guard MonotonicClock.now() < until else {
            running = false
            return
        }
        loop.schedule(after: .nanoseconds(1)) { [self] in spin() }
    }
}
