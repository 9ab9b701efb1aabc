import Config
import EventLoop
import Glibc
import Testing
@testable import Uplink

/// Report by exception, seen in what the node queues while it has no broker (the store-and-forward buffer), on a
/// manual clock: no sockets, no broker.
@Suite struct ReportByExceptionTests {
    final class Values {
        var temperature: SparkplugMetric.Value = .double(20)
        var running: SparkplugMetric.Value = .boolean(false)
    }

    /// The metrics of every queued record, by name.
    private func queued(_ n: SparkplugEdgeNode) -> [[String: SparkplugMetric.Value]] {
        var out: [[String: SparkplugMetric.Value]] = []
        n.buffer.rewind()
        while let (_, record) = n.buffer.peek() {
            guard let (_, payload) = SparkplugEdgeNode.parse(record) else { continue }
            out.append(Dictionary(uniqueKeysWithValues: payload.metrics.map { ($0.name ?? "?", $0.value) }))
        }
        return out
    }

    @Test func onlyChangesBeyondTheDeadbandAreReportedUntilTheMaximumInterval() throws {
        let loop = ManualLoop()
        let values = Values()
        let n = try SparkplugEdgeNode(config: {
            var c = UplinkConfig(brokers: [], group: "g", node: "n")
            c.deadband = 0.5
            c.maxInterval = .seconds(10)
            return c
        }(), definitions: [.init(name: "Temperature", dataType: .double), .init(name: "Running", dataType: .boolean)],
           bufferDirectory: tempDirectory(), loop: loop, logger: .silent, wallClock: { 1_700_000_000_000 }) { [values] in
            [values.temperature, values.running]
        }
        n.sampleOnce()                                  // first sample: everything
        values.temperature = .double(20.4)
        loop.advance(by: .seconds(1)); n.sampleOnce()   // within the deadband: nothing
        values.temperature = .double(20.6)
        loop.advance(by: .seconds(1)); n.sampleOnce()   // 0.6 from the last reported: Temperature
        values.running = .boolean(true)
        loop.advance(by: .seconds(1)); n.sampleOnce()   // a Boolean change: Running
        values.temperature = .null(.double)
        loop.advance(by: .seconds(1)); n.sampleOnce()   // becoming unknown is a change
        loop.advance(by: .seconds(10)); n.sampleOnce()  // the maximum interval: both again
        #expect(queued(n) == [
            ["Temperature": .double(20), "Running": .boolean(false)],
            ["Temperature": .double(20.6)],
            ["Running": .boolean(true)],
            ["Temperature": .null(.double)],
            ["Temperature": .null(.double), "Running": .boolean(true)],
        ])
    }

    @Test func theSampleCounterMakesEveryTickAMessage() throws {
        let loop = ManualLoop()
        var c = UplinkConfig(brokers: [], group: "g", node: "n")
        c.countSamples = true
        let n = try SparkplugEdgeNode(config: c, definitions: [.init(name: "Constant", dataType: .int64)], bufferDirectory: tempDirectory(),
                                      loop: loop, logger: .silent, wallClock: { 1 }) { [.int64(5)] }
        for _ in 0..<4 { n.sampleOnce(); loop.advance(by: .seconds(1)) }
        #expect(queued(n).map { $0[SparkplugEdgeNode.sampleCounterMetric] } == [.int64(1), .int64(2), .int64(3), .int64(4)])
    }

    private func tempDirectory() -> String {
        var template = Array("/tmp/fa-rbe-XXXXXX".utf8CString)
        // mkdtemp fills the template in place; the array outlives the call.
        return String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
    }
}
