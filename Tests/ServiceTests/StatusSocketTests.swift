import EventLoop
import Glibc
import Service
import Testing

@Suite struct StatusSocketTests {
    @Test func underSystemdTheSocketGoesInTheRuntimeDirectory() {
        let path = StatusSocket.defaultPath(name: "pump-a", environment: ["RUNTIME_DIRECTORY": "/run/fieldagent"]) { _ in false }
        #expect(path == "/run/fieldagent/pump-a.sock")
        // With several RuntimeDirectory= entries systemd lists them all, separated by colons: the first is ours.
        let first = StatusSocket.defaultPath(name: "a", environment: ["RUNTIME_DIRECTORY": "/run/fieldagent:/run/other"]) { _ in false }
        #expect(first == "/run/fieldagent/a.sock")
    }

    @Test func byHandTheRunDirectoryIsUsedWhenWritableElseTmp() {
        #expect(StatusSocket.defaultPath(name: "a", environment: [:]) { $0 == "/run/fieldagent" } == "/run/fieldagent/a.sock")
        #expect(StatusSocket.defaultPath(name: "a", environment: [:]) { _ in false } == "/tmp/fieldagent-a.status.sock")
        #expect(StatusSocket.defaultPath(name: "a", environment: ["RUNTIME_DIRECTORY": ""]) { _ in false } == "/tmp/fieldagent-a.status.sock")
    }

    @Test func theFallbackNeverTakesTheMockChipsSocketName() {
        // `fieldagent run --gpio mock` serves its mock chip at /tmp/fieldagent-NAME.sock.
        #expect(StatusSocket.fallbackPath(name: "sim") != "/tmp/fieldagent-sim.sock")
        #expect(StatusSocket.candidatePaths(name: "a") == ["/run/fieldagent/a.sock", "/tmp/fieldagent-a.status.sock"])
    }

    @Test func discoveryListsOnlyStatusSocketsWithTheirAgentNames() throws {
        let run = try TemporaryDirectory()
        let tmp = try TemporaryDirectory()
        var listeners: [Int32] = []
        defer { for fd in listeners { close(fd) } }
        for path in [run.file("pump-a.sock"), tmp.file("fieldagent-line-b.status.sock"), tmp.file("fieldagent-sim.sock")] {
            listeners.append(try UnixSocket.listen(path: path))
        }
        try writePlainFile("not a socket", to: run.file("notes.sock"))
        try writePlainFile("", to: tmp.file("fieldagent-x.status.sock"))
        let found = StatusSocket.discover(runDirectory: run.path, fallbackDirectory: tmp.path)
        #expect(found.map(\.name).sorted() == ["line-b", "pump-a"])
        #expect(Set(found.map(\.path)) == [run.file("pump-a.sock"), tmp.file("fieldagent-line-b.status.sock")])
        #expect(StatusSocket.discover(runDirectory: run.file("missing"), fallbackDirectory: run.file("missing")).isEmpty)
    }

    @Test func probeTellsLiveStaleAbsentAndOtherFilesApart() throws {
        let dir = try TemporaryDirectory()
        let live = try UnixSocket.listen(path: dir.file("live.sock"))
        defer { close(live) }
        close(try UnixSocket.listen(path: dir.file("stale.sock")))
        try writePlainFile("", to: dir.file("file.sock"))
        #expect(StatusSocket.probe(dir.file("live.sock")) == .live)
        #expect(StatusSocket.probe(dir.file("stale.sock")) == .stale)
        #expect(StatusSocket.probe(dir.file("none.sock")) == .absent)
        #expect(StatusSocket.probe(dir.file("file.sock")) == .notASocket)
    }
}
