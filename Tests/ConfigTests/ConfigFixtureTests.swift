import Boards
import Config
import Testing
import YAML

/// Each file in Fixtures/ is a config with one class of mistake; its `# expect:` lines list every
/// diagnostic it must produce, in order, as `line:column: severity: message`.
@Suite struct ConfigFixtureTests {
    static let fixtures = [
        "malformed-yaml", "unknown-board", "unknown-pin", "pin-used-twice", "output-on-power-pin", "fixed-role-pin",
        "rule-unknown-line", "rule-never-fires", "duplicate-name", "bad-duration", "bad-values", "unknown-key",
        "decision-mistakes", "point-values", "durations-out-of-range", "names-and-hosts",
        "cadence-too-short", "latch-mistakes", "uplink-mistakes", "model-mistakes", "security-mistakes",
    ]

    /// A small stand-in for the compiled-in model, so the fixtures do not change when the model does.
    /// Its outputs top out at 255/256, as an int8 softmax's do.
    static let model = ModelSignature(labels: ["normal", "degraded", "fault"], features: ["rms", "temp"], maximumProbability: 255.0 / 256,
                                      name: "health",
                                      companions: [CompanionModel(name: "wear", kind: .anomaly, features: ["rms", "temp"], warn: 1, alarm: 2),
                                                   CompanionModel(name: "life", kind: .regression, features: ["rms", "temp"], outputs: ["rul"], units: ["h"])])
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn(), model: model)

    @Test(arguments: fixtures)
    func eachBrokenConfigGetsItsMessagesAtTheirLineAndColumn(fixture: String) throws {
        let path = repoRoot + "/Tests/ConfigTests/Fixtures/\(fixture).yaml"
        let text = try #require(YAMLParser.readFile(path))
        let expected = text.split(separator: "\n").filter { $0.hasPrefix("# expect: ") }.map { String($0.dropFirst(10)) }
        #expect(!expected.isEmpty, "\(fixture) has no '# expect:' lines")
        do {
            let (_, warnings) = try loader.load(path: path)
            #expect(expected.allSatisfy { $0.contains(": warning: ") }, "\(fixture) loaded, but expects errors")
            #expect(warnings.map(brief) == expected)
        } catch {
            #expect(error.diagnostics.map(brief) == expected)
            #expect(error.diagnostics.allSatisfy { $0.mark.file == path })
            #expect(!error.errors.isEmpty)
        }
    }

    @Test func everyFixtureIsInTheList() throws {
        // A fixture added without being listed would never run.
        var listed = 0
        for name in Self.fixtures where YAMLParser.readFile(repoRoot + "/Tests/ConfigTests/Fixtures/\(name).yaml") != nil { listed += 1 }
        #expect(listed == Self.fixtures.count)
    }
}
