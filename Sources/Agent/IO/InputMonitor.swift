import EventLoop
import GPIO

/// One configured input: requests its line, debounces it, and reports logical edges. The kernel debounces when
/// the chip can (libgpiod 2.x); otherwise ``Debouncer`` does, on the loop's clock.
public final class InputMonitor {
    /// The config name (`button`).
    public let name: String
    private let line: GPIOInputLine
    private let loop: EventLoop
    private var debouncer: Debouncer
    private var settleTimer: TimerID?
    private let edges: EdgeDetection
    private var onEdge: (InputMonitor, EdgeEvent) -> Void = { _, _ in }
    /// The last reported (debounced) logical value.
    public var value: Bool { debouncer.stable }

    /// Requests the line; edges are reported to ``start(_:)``'s handler once it is called.
    public init(name: String, chip: GPIOChip, line offset: Int, settings: InputSettings, debounce: Duration,
                consumer: String, loop: EventLoop) throws(GPIOError) {
        self.name = name
        self.loop = loop
        self.edges = settings.edges
        var requested = settings
        // Debouncing needs both edges from the chip; the configured ones are filtered after it.
        if debounce > .zero && settings.edges != .none { requested.edges = .both }
        let inKernel = debounce > .zero && chip.kernelDebounce
        if inKernel { requested.debounce = debounce }
        var forward: ((EdgeEvent) -> Void)?
        line = try chip.requestInput(line: offset, settings: requested, consumer: consumer) { forward?($0) }
        // With kernel debounce, edges arrive settled: the debouncer only drops repeats of the stable value.
        debouncer = Debouncer(period: inKernel ? .zero : debounce, initial: try line.read())
        forward = { [unowned self] event in self.raw(event) }
    }

    /// Starts reporting edges to `handler`.
    public func start(_ handler: @escaping (InputMonitor, EdgeEvent) -> Void) {
        onEdge = handler
    }

    /// Releases the line.
    public func release() {
        if let settleTimer { loop.cancel(settleTimer) }
        line.release()
    }

    private func raw(_ event: EdgeEvent) {
        switch debouncer.feed(event) {
        case .none:
            break
        case .report(let edge):
            deliver(edge)
        case .arm(let deadline):
            if let settleTimer { loop.cancel(settleTimer) }
            settleTimer = loop.schedule(at: deadline) { [unowned self] in
                self.settleTimer = nil
                if let edge = self.debouncer.settle(at: self.loop.now) { self.deliver(edge) }
            }
        }
    }

    private func deliver(_ edge: EdgeEvent) {
        if edges.reports(edge.edge) { onEdge(self, edge) }
    }
}
