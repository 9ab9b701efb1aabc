import Glibc
import Testing

/// fieldagent-modelc refuses what it cannot compile, saying why and where (operator, tensor, name).
struct CompilerErrorTests {
    /// The compiler built next to this test binary (swift build --build-tests builds every product).
    static var compiler: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        // On Linux the tests run from .build/<config>/<Package>PackageTests.xctest.
        if dir.hasSuffix(".xctest") { dir = dir.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") }
        let path = dir + "/fieldagent-modelc"
        return access(path, X_OK) == 0 ? path : nil
    }

    /// Runs the compiler on Models/reference/`model` into a scratch directory; returns its exit status and output.
    static func compile(_ model: String) throws -> (status: Int32, output: String) {
        let exe = try #require(compiler, "fieldagent-modelc is not built next to the tests")
        let out = "/tmp/fieldagent-modelc-test-\(getpid())-" + model.map { $0.isLetter ? String($0) : "_" }.joined()
        let command = "'\(exe)' '\(Fixtures.directory)/\(model)' --c-out \(out)/c --swift-out \(out)/s 2>&1"
        let pipe = try #require(popen(command, "r"))
        var output = ""
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), pipe) != nil {
            output += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let status = pclose(pipe)
        _ = system("rm -rf \(out)")
        return ((status >> 8) & 0xff, output)
    }

    @Test func aFloatModelIsRefusedWithHowToConvertIt() throws {
        let (status, output) = try Self.compile("invalid/float.tflite")
        #expect(status == 1)
        #expect(output.contains("tensor 0 'serving_default_keras_tensor:0': type FLOAT32"))
        #expect(output.contains("inference_input_type"))
    }

    @Test func anUnsupportedOperatorIsNamedWithTheSupportedList() throws {
        let (status, output) = try Self.compile("invalid/tanh.tflite")
        #expect(status == 1)
        #expect(output.contains("operator 1 (TANH): unsupported operator TANH; supported: ADD, AVERAGE_POOL_2D, CONV_2D"))
    }

    @Test func missingQuantizationNamesTheOperatorAndTensor() throws {
        let (status, output) = try Self.compile("invalid/no_quantization.tflite")
        #expect(status == 1)
        #expect(output.contains("operator 0 (FULLY_CONNECTED), tensor 6 'mlp_health_1/dense_3_1/MatMul': missing quantization parameters"))
    }

    @Test func aFileThatIsNotTFLiteIsRefused() throws {
        let (status, output) = try Self.compile("mlp_health.json")
        #expect(status == 1)
        #expect(output.contains("not a .tflite file"))
    }

    @Test func aGoodModelCompiles() throws {
        let (status, output) = try Self.compile("mlp_health.tflite")
        #expect(status == 0, "\(output)")
    }
}
