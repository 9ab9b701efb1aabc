import Glibc

/// A POSIX thread for the outside world of benchmarks and tests (misbehaving Modbus peers, a blocking client, the
/// GPIO stimulus): they block in their own sockets and sleeps, never on the agent's loop. ``join()`` waits and
/// returns what the body returned.
public final class HarnessThread<Result: Sendable> {
    /// Where the thread leaves its result: written once by the thread before it ends, read only after
    /// pthread_join, which orders the two.
    private final class Outcome: @unchecked Sendable {
        var value: Result?
    }

    private let thread: pthread_t
    private let outcome = Outcome()

    /// Starts `body` on a new thread at once.
    public init(_ body: @escaping @Sendable () -> Result) {
        let outcome = self.outcome
        thread = startThread { outcome.value = body() }
    }

    /// Waits for the thread to end and returns its result. Call once.
    public func join() -> Result {
        pthread_join(thread, nil)
        return outcome.value!
    }
}

/// The work handed to a new thread with a retain that the thread releases.
private final class ThreadWork: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Starts `run` on a new POSIX thread. The corresponding C function is `pthread_create`.
private func startThread(_ run: @escaping @Sendable () -> Void) -> pthread_t {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadWork(run)).toOpaque()
    let rc = pthread_create(&thread, nil, { raw in
        // raw is the ThreadWork retained above; the thread takes over that retain.
        Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create: \(rc)")
    return thread
}
