/// Timers ordered by deadline (then by the order they were scheduled): a binary min-heap with lazy cancellation.
///
/// Shared by the real and the manual loop, so both run due timers in the same order.
struct TimerQueue {
    private struct Entry {
        var deadline: Instant
        var id: UInt64
        var task: () -> Void
    }

    private var heap: [Entry] = []
    private var live: Set<UInt64> = []
    private var nextID: UInt64 = 1

    init() { heap.reserveCapacity(64); live.reserveCapacity(64) }

    /// Number of timers that will still fire.
    var count: Int { live.count }

    /// The earliest deadline of a live timer.
    mutating func earliestDeadline() -> Instant? {
        dropCancelledHead()
        return heap.first?.deadline
    }

    mutating func schedule(at deadline: Instant, _ task: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        live.insert(id)
        heap.append(Entry(deadline: deadline, id: id, task: task))
        siftUp(heap.count - 1)
        return TimerID(rawValue: id)
    }

    mutating func cancel(_ timer: TimerID) {
        live.remove(timer.rawValue)
    }

    /// The id the next timer scheduled will get: timers with a smaller one were scheduled before now.
    var nextTimer: UInt64 { nextID }

    /// Removes and returns the earliest live timer whose deadline is at or before `now` and, when
    /// `scheduledBefore` is given, whose id is below it (a timer scheduled while due timers run waits for the
    /// next turn, so a timer that re-arms itself cannot keep the loop from its descriptors).
    mutating func popDue(now: Instant, scheduledBefore: UInt64 = .max) -> (deadline: Instant, task: () -> Void)? {
        dropCancelledHead()
        guard let first = heap.first, first.deadline <= now, first.id < scheduledBefore else { return nil }
        let entry = removeFirst()
        live.remove(entry.id)
        return (entry.deadline, entry.task)
    }

    private mutating func dropCancelledHead() {
        while let first = heap.first, !live.contains(first.id) { _ = removeFirst() }
    }

    private mutating func removeFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count, before(heap[left], heap[best]) { best = left }
            if right < heap.count, before(heap[right], heap[best]) { best = right }
            if best == parent { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
