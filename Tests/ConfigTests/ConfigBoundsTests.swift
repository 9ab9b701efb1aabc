import Boards
import Config
import Glibc
import Modbus
import Testing
import YAML

/// What `check` reads is bounded, and what it accepts fits where it goes: only regular files up to 1 MiB,
/// durations no deadline can wrap with, names that fit a socket path, values that fit their Modbus point.
@Suite struct ConfigBoundsTests {
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn())

    func errors(_ text: String, file: String = "t.yaml") -> [String] {
        do {
            _ = try loader.load(text: text, file: file)
            return []
        } catch {
            return error.errors.map(brief)
        }
    }

    func errors(path: String) -> [String] {
        do {
            _ = try loader.load(path: path)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    func temporaryDirectory() -> String {
        var template = Array("/tmp/fieldagent-config-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    @Test func aFIFOIsRefusedAtOnceInsteadOfBlockingTheCheck() {
        let dir = temporaryDirectory()
        let fifo = dir + "/config.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo); rmdir(dir) }
        #expect(errors(path: fifo) == ["\(fifo): error: the config is a FIFO (named pipe); give a regular YAML file"])
    }

    @Test func aDeviceLikeDevZeroIsRefusedWithoutBeingRead() {
        #expect(errors(path: "/dev/zero") == ["/dev/zero: error: the config is a character device; give a regular YAML file"])
        #expect(errors(path: "/tmp") == ["/tmp: error: the config is a directory; give a regular YAML file"])
    }

    @Test func aFileLargerThanOneMiBIsRefusedWithTheLimit() throws {
        let dir = temporaryDirectory()
        let path = dir + "/huge.yaml"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        #expect(ftruncate(fd, off_t(YAMLParser.maximumFileSize + 1)) == 0)  // sparse: costs no disk
        close(fd)
        defer { unlink(path); rmdir(dir) }
        #expect(errors(path: path) == ["\(path): error: the config is larger than 1 MiB, the limit for FieldAgent's YAML files (a config is a few KiB): is it the right file?"])
        // The same bound holds for every YAML file FieldAgent reads (scenarios, board files).
        #expect(throws: YAMLError.self) { try YAMLParser.parse(path: path) }
    }

    @Test func durationsBeyondSevenDaysAreRefusedSoNoDeadlineCanWrap() {
        // 2562047h is just below Int64.max nanoseconds: a deadline "now + interval" would wrap into the past.
        let text = """
        board: sim
        peers:
          - {name: line-b, host: 127.0.0.1, interval: 2562047h}
          - {name: line-c, host: 127.0.0.1, interval: 169h}
          - {name: line-d, host: 127.0.0.1, interval: 168h, timeout: 1s}
        server: {port: 1502}
        """
        #expect(errors(text) == [
            "3:47: error: interval: 2562047h is longer than the maximum 168h (7 days)",
            "4:47: error: interval: 169h is longer than the maximum 168h (7 days)",
        ])
    }

    @Test func aLongFileNameDoesNotBecomeAnAgentNameTooLongForItsSockets() {
        let file = "/etc/fieldagent/" + String(repeating: "pump", count: 17) + ".yaml"
        #expect(errors("board: sim\n", file: file) == [
            "1:1: error: the agent name is 68 characters long (taken from the file name; set 'name:'); at most 64, so that its socket paths (such as /tmp/fieldagent-NAME.status.sock) fit the 107 bytes of a Unix socket address",
        ])
        #expect(errors("board: sim\nname: \(String(repeating: "a", count: 64))\n").isEmpty)
    }

    @Test func theLongestAcceptedNameFitsEverySocketPathOnEveryBuiltInBoard() throws {
        let name = String(repeating: "n", count: AgentConfig.maximumNameLength)
        for board in try BoardCatalog.builtIn().boards {
            // The status socket (by hand and under systemd) and the mock chip sockets, one per chip after the first.
            var paths = ["/tmp/fieldagent-\(name).status.sock", "/run/fieldagent/\(name).sock", "/tmp/fieldagent-\(name).sock"]
            for label in board.chips.map(\.label).dropFirst() { paths.append("/tmp/fieldagent-\(name).sock.\(label)") }
            for path in paths { #expect(path.utf8.count <= AgentConfig.maximumSocketPath, "\(board.name): \(path)") }
        }
    }

    /// Found by `make fuzz-config`: `from: ""` split into no parts and trapped on the first.
    @Test func aFeatureFromAnEmptyOrBareDotSourceIsAnErrorNotATrap() {
        for source in ["\"\"", "\".\"", "\"..\""] {
            let found = errors("board: sim\nfeatures:\n  - {name: f, from: \(source)}\n")
            #expect(found.count == 1 && found[0].contains("names no source"), "\(found)")
        }
    }

    @Test func valuesAtTheEdgesOfAPointsRangeAreAccepted() throws {
        let config = try loader.load(text: """
        board: sim
        modbus:
          - name: m
            endpoint: tcp://127.0.0.1:1601
            points:
              - {name: a, table: holding, address: 0, writable: true, safe: 65535}
              - {name: b, table: holding, address: 1, writable: true, safe: 0}
              - {name: c, table: holding, address: 2, type: int16, scale: 0.1, writable: true, safe: -3276.8}
              - {name: d, table: holding, address: 3, type: int16, scale: -1, writable: true, safe: 32768}
              - {name: e, table: holding, address: 4, type: bool, scale: 5, offset: 1, writable: true, safe: 6}
              - {name: f, table: holding, address: 5, type: float32, writable: true, safe: -3.4e38}
              - {name: g, table: coils, address: 0, writable: true, safe: on}
        """, file: "t.yaml").0
        #expect(config.modbus[0].points.map(\.safeValue) == [65535, 0, -3276.8, 32768, 6, -3.4e38, 1])
    }

    @Test func aHostWithAPortBracketsOrSpacesIsRefusedAndNamesAndAddressesAreAccepted() {
        for good in ["10.0.0.5", "::1", "fe80::1", "line-b", "line-b.plant.example", "LINE-B."] {
            #expect(HostName.problem(good) == nil, "\(good)")
        }
        #expect(HostName.problem("10.0.0.5:1502") == "'10.0.0.5:1502' includes a port; write the host as '10.0.0.5' and the port in its own field (port: 1502)")
        #expect(HostName.problem("[::1]") != nil)
        #expect(HostName.problem("pump a") != nil)
        #expect(HostName.problem("10.0.0.5\u{0}x") != nil)
        #expect(HostName.problem("-bad.example") != nil)
        #expect(HostName.problem(String(repeating: "a", count: 64)) != nil)
        #expect(SocketAddress(numericHost: "10.0.0.5\u{0}junk", port: 0) == nil)
        #expect(throws: ModbusEndpoint.ParseError.self) { try ModbusEndpoint.parse("tcp://10.0.0.5:0") }
        #expect(throws: ModbusEndpoint.ParseError.self) { try ModbusEndpoint.parse("tcp://pump a:502") }
    }
}
