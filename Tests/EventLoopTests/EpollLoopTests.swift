import EventLoop
import Glibc
import Testing

@Suite struct EpollLoopTests {
    @Test func timersFireInOrderOnTheRealClock() throws {
        let loop = try EpollLoop()
        var order: [Int] = []
        let start = loop.now
        loop.schedule(after: .milliseconds(20)) { order.append(2); loop.stop() }
        loop.schedule(after: .milliseconds(5)) { order.append(1) }
        try loop.run()
        #expect(order == [1, 2])
        #expect(loop.now - start >= .milliseconds(20))
    }

    @Test func aReadableDescriptorWakesTheLoop() throws {
        let loop = try EpollLoop()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var received: UInt8 = 0
        try loop.watch(fds[0], for: .readable) { _ in
            var byte: UInt8 = 0
            _ = read(fds[0], &byte, 1)
            received = byte
            loop.stop()
        }
        var byte: UInt8 = 42
        _ = write(fds[1], &byte, 1)
        try loop.run()
        #expect(received == 42)
        loop.unwatch(fds[0])
    }

    @Test func anIdleLoopDoesNotWakeUp() throws {
        let loop = try EpollLoop()
        // One timer far away and nothing else: over 300 ms the loop may wake only for the stop timer.
        loop.schedule(after: .milliseconds(300)) { loop.stop() }
        try loop.run()
        #expect(loop.wakeups <= 2)
    }

    @Test func aCancelledTimerNeitherRunsNorWakesTheLoop() throws {
        let loop = try EpollLoop()
        var ran = false
        let id = loop.schedule(after: .milliseconds(10)) { ran = true }
        loop.cancel(id)
        loop.schedule(after: .milliseconds(50)) { loop.stop() }
        try loop.run()
        #expect(!ran)
        #expect(loop.wakeups <= 2)
    }

    @Test func aHandlerMayUnwatchItsOwnDescriptor() throws {
        let loop = try EpollLoop()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var calls = 0
        try loop.watch(fds[0], for: .readable) { _ in
            calls += 1
            loop.unwatch(fds[0])
        }
        var byte: UInt8 = 1
        _ = write(fds[1], &byte, 1)
        loop.schedule(after: .milliseconds(30)) { loop.stop() }
        try loop.run()
        #expect(calls == 1)
    }
}
