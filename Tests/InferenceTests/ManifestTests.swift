import Glibc
import Testing

/// fieldagent-modelc --manifest: several models with their kinds; what does not fit is refused with its place.
struct ManifestTests {
    /// A scratch directory holding the product's models and metadata, and a manifest with `text`.
    static func scratch(_ text: String, meta: [String: String] = [:]) throws -> String {
        let dir = "/tmp/fieldagent-manifest-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let models = Fixtures.directory + "/.."
        #expect(system("mkdir -p \(dir) && cp \(models)/machine_*.tflite \(models)/machine_*.meta \(dir)/") == 0)
        func write(_ name: String, _ content: String) {
            guard let f = fopen("\(dir)/\(name)", "w") else { return }
            fputs(content, f)
            fclose(f)
        }
        write("models.yaml", text)
        for (name, content) in meta { write(name, content) }
        return dir
    }

    static func readText(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var text = ""
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), f) != nil {
            text += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    static func run(_ dir: String) throws -> (status: Int32, output: String) {
        let exe = try #require(CompilerErrorTests.compiler, "fieldagent-modelc is not built next to the tests")
        let pipe = try #require(popen("'\(exe)' --manifest \(dir)/models.yaml --c-out \(dir)/c --swift-out \(dir)/s 2>&1", "r"))
        var output = ""
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), pipe) != nil {
            output += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return ((pclose(pipe) >> 8) & 0xff, output)
    }

    static let good = """
        models:
          - {name: health, kind: classifier, file: machine_health.tflite, type: Health, prefix: fa_health}
          - {name: wear, kind: anomaly, file: machine_anomaly.tflite, type: Wear, prefix: fa_wear}
          - {name: life, kind: regression, file: machine_rul.tflite, type: Life, prefix: fa_life}

        """

    @Test func aManifestCompilesEveryModelAndListsThemWithTheirKinds() throws {
        let dir = try Self.scratch(Self.good)
        defer { _ = system("rm -rf \(dir)") }
        let (status, output) = try Self.run(dir)
        #expect(status == 0, "\(output)")
        for f in ["c/fa_health.c", "c/fa_wear.c", "c/fa_life.c", "c/include/fa_wear.h", "s/Health.swift", "s/Wear.swift", "s/Life.swift", "s/CompiledModels.swift"] {
            #expect(access("\(dir)/\(f)", R_OK) == 0, "\(f) missing")
        }
        let registry = try #require(Self.readText("\(dir)/s/CompiledModels.swift"))
        #expect(registry.contains("name: \"wear\",\n            kind: .anomaly,\n            info: Wear.info,\n            anomaly: AnomalySpec(score: .reconstruction"))
        #expect(registry.contains("outputs: [RegressionOutput(name: \"rul\", unit: \"h\", scale: 250.0, offset: 0.0)]"))
    }

    @Test func whatDoesNotFitItsKindIsRefusedWithItsPlace() throws {
        // An unknown kind, at its line and column.
        var dir = try Self.scratch(Self.good.replacingKind("anomaly", with: "detector"))
        var (status, output) = try Self.run(dir)
        #expect(status == 1 && output.contains("models.yaml:3:"), "\(output)")
        #expect(output.contains("kind: expected classifier, anomaly, regression"))
        _ = system("rm -rf \(dir)")
        // An anomaly model without thresholds from training.
        dir = try Self.scratch(Self.good, meta: ["machine_anomaly.meta": "kind: anomaly\nscore: reconstruction\n"])
        (status, output) = try Self.run(dir)
        #expect(status == 1 && output.contains("an anomaly model needs 'thresholds: WARN, ALARM'"), "\(output)")
        _ = system("rm -rf \(dir)")
        // A regression model compiled as an autoencoder: one output for twelve inputs.
        dir = try Self.scratch(Self.good.replacingKind("regression", with: "anomaly"),
                               meta: ["machine_rul.meta": "thresholds: 1, 2\n"])
        (status, output) = try Self.run(dir)
        #expect(status == 1 && output.contains("score: reconstruction needs as many outputs as inputs (12 in, 1 out)"), "\(output)")
        _ = system("rm -rf \(dir)")
        // Two models with one C prefix.
        dir = try Self.scratch(Self.good.replacingKind("fa_life", with: "fa_wear"))
        (status, output) = try Self.run(dir)
        #expect(status == 1 && output.contains("must differ from those of 'wear'"), "\(output)")
        _ = system("rm -rf \(dir)")
    }
}

extension String {
    /// The text with the first `old` replaced by `new` (no Foundation in the tests).
    func replacingKind(_ old: String, with new: String) -> String {
        guard let r = manifestTestRange(of: old) else { return self }
        return String(self[..<r.lowerBound]) + new + String(self[r.upperBound...])
    }

    func manifestTestRange(of needle: String) -> Range<String.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
