import EventLoop
import Glibc
import Service
import Testing

@Suite struct TextfileExporterTests {
    static func families(samples: Int) -> [MetricFamily] {
        var result: [MetricFamily] = []
        for f in 0..<(samples + 9) / 10 {
            var family = MetricFamily("fieldagent_test_\(f)_total", help: "Test family \(f).", type: .counter)
            for s in 0..<min(10, samples - f * 10) {
                family.add(Double(f * 1000 + s) + 0.5, ["peer": "peer-\(s)", "sensor": "sensor \"\(s)\""])
            }
            result.append(family)
        }
        return result
    }

    @Test func writesTheFileWholeWithMode0644AndLeavesNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        let previous = umask(0o077)
        defer { umask(previous) }
        let text = PrometheusText.render(Self.families(samples: 100))
        try TextfileExporter.writeAtomically(text, to: dir.file("agent.prom"))
        #expect(readFile(dir.file("agent.prom")) == text)
        #expect(fileMode(dir.file("agent.prom")) == 0o644)  // node_exporter runs as another user
        #expect(dir.list() == ["agent.prom"])
    }

    @Test func replacesThePreviousFile() throws {
        let dir = try TemporaryDirectory()
        try TextfileExporter.writeAtomically("# old\n", to: dir.file("a.prom"))
        try TextfileExporter.writeAtomically("# new\n", to: dir.file("a.prom"), sync: false)
        #expect(readFile(dir.file("a.prom")) == "# new\n")
        #expect(dir.list() == ["a.prom"])
    }

    @Test func aMissingDirectoryIsAnErrorNamingTheFileAndTheReason() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("missing/agent.prom")
        #expect {
            try TextfileExporter.writeAtomically("x 1\n", to: path)
        } throws: { error in
            let error = error as! SystemError
            return error.code == ENOENT && error.description.contains(path + ".tmp.")
                && error.description.contains("No such file or directory")
        }
    }

    @Test func anUnwritableDirectoryIsAnErrorNamingTheFile() throws {
        // Root writes anywhere, so the unwritable place for everyone is a "directory" that is a file.
        let dir = try TemporaryDirectory()
        try writePlainFile("not a directory", to: dir.file("plain"))
        var caught: SystemError?
        do { try TextfileExporter.writeAtomically("x 1\n", to: dir.file("plain/agent.prom")) } catch { caught = error }
        #expect(caught?.code == ENOTDIR)
        #expect(caught?.description.contains(dir.file("plain/agent.prom.tmp.")) == true)
        if geteuid() != 0 {
            chmod(dir.path, 0o555)
            defer { chmod(dir.path, 0o755) }
            caught = nil
            do { try TextfileExporter.writeAtomically("x 1\n", to: dir.file("agent.prom")) } catch { caught = error }
            #expect(caught?.code == EACCES)
        }
    }

    @Test func aFailedRenameRemovesTheTemporaryFileAndKeepsWhatWasThere() throws {
        let dir = try TemporaryDirectory()
        // A directory where the file should go: the rename fails after the data was written and synced.
        mkdir(dir.file("agent.prom"), 0o755)
        #expect(throws: SystemError.self) { try TextfileExporter.writeAtomically("x 1\n", to: dir.file("agent.prom")) }
        #expect(dir.list() == ["agent.prom"])
    }

    @Test func aReaderNeverSeesAPartialFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("agent.prom")
        // Two contents large enough that a non-atomic write would be caught half done.
        let a = String(repeating: "a_total 1\n", count: 20_000)
        let b = String(repeating: "b_total 2\n", count: 20_000)
        try TextfileExporter.writeAtomically(a, to: path, sync: false)
        let reader = TestThread { () -> (reads: Int, partial: Int) in
            var partial = 0
            for _ in 0..<400 {
                let text = readFile(path)
                if text != a && text != b { partial += 1 }
            }
            return (400, partial)
        }
        for i in 0..<200 { try TextfileExporter.writeAtomically(i % 2 == 0 ? b : a, to: path, sync: false) }
        let result = reader.join()
        #expect(result.partial == 0)
        #expect(dir.list() == ["agent.prom"])
    }

    @Test func writesAtStartThenEveryIntervalOnTheLoopsClock() throws {
        let dir = try TemporaryDirectory()
        let loop = ManualLoop()
        var calls = 0
        let exporter = TextfileExporter(loop: loop, name: "pump-a", directory: dir.path, interval: .seconds(10)) {
            calls += 1
            var family = MetricFamily("fieldagent_ticks_total", help: "Provider calls.", type: .counter)
            family.add(calls)
            return [family]
        }
        #expect(exporter.path == dir.path + "/pump-a.prom")
        exporter.start()
        #expect(exporter.writes == 1)
        #expect(readFile(exporter.path)?.hasSuffix("fieldagent_ticks_total 1\n") == true)
        loop.advance(by: .milliseconds(9999))
        #expect(exporter.writes == 1)
        loop.advance(by: .seconds(21))
        #expect(exporter.writes == 4)
        #expect(readFile(exporter.path)?.hasSuffix("fieldagent_ticks_total 4\n") == true)
        exporter.stop(removeFile: true)
        loop.advance(by: .seconds(60))
        #expect(calls == 4)
        #expect(dir.list().isEmpty)
    }

    @Test func aFailureStreakIsReportedOnceAndTheWritesResumeWhenTheDirectoryReturns() throws {
        let dir = try TemporaryDirectory()
        let loop = ManualLoop()
        let metricsDir = dir.file("metrics")
        let exporter = TextfileExporter(loop: loop, name: "a", directory: metricsDir, interval: .seconds(10)) {
            [MetricFamily("fieldagent_up", help: "Up.", type: .gauge, samples: [.init(value: 1)])]
        }
        exporter.start()
        loop.advance(by: .seconds(20))
        #expect(exporter.failures == 3)
        #expect(exporter.failureStreaks == 1)
        #expect(exporter.lastError?.code == ENOENT)
        mkdir(metricsDir, 0o755)
        loop.advance(by: .seconds(10))
        #expect(exporter.writes == 1)
        #expect(exporter.lastError == nil)
        #expect(readFile(exporter.path) == "# HELP fieldagent_up Up.\n# TYPE fieldagent_up gauge\nfieldagent_up 1\n")
        rmdir(metricsDir) // fails: not empty; remove the file first to make the next streak
        unlink(exporter.path)
        rmdir(metricsDir)
        loop.advance(by: .seconds(10))
        #expect(exporter.failureStreaks == 2)
        exporter.stop()
    }

    /// How long one write of ~100 samples holds the loop (render, write, fsync, rename), on this machine's disk.
    @Test func measuresTheWriteTimeForAHundredSamples() throws {
        let dir = try TemporaryDirectory()
        let families = Self.families(samples: 100)
        for sync in [true, false] {
            let loop = ManualLoop()
            let exporter = TextfileExporter(loop: loop, name: "bench", directory: dir.path, sync: sync) { families }
            var times: [Double] = []
            for _ in 0..<200 {
                let start = MonotonicClock.now()
                try exporter.writeNow()
                times.append((MonotonicClock.now() - start).microseconds)
            }
            times.sort()
            let bytes = readFile(exporter.path)?.utf8.count ?? 0
            print("textfile write, 100 samples (\(bytes) bytes), fsync \(sync ? "on " : "off"): median \(Int(times[100])) µs, p95 \(Int(times[190])) µs, max \(Int(times[199])) µs")
            #expect(exporter.writes == 200)
        }
    }
}
