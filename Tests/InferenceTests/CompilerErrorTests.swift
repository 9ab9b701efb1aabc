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

    /// Runs the compiler on Models/reference/`model` (or an absolute path) into a scratch directory; returns its exit
    /// status (minus the signal number when a signal killed it) and output.
    static func compile(_ model: String) throws -> (status: Int32, output: String) {
        let exe = try #require(compiler, "fieldagent-modelc is not built next to the tests")
        let out = "/tmp/fieldagent-modelc-test-\(getpid())-" + model.map { $0.isLetter ? String($0) : "_" }.joined()
        let path = model.hasPrefix("/") ? model : "\(Fixtures.directory)/\(model)"
        let command = "'\(exe)' '\(path)' --c-out \(out)/c --swift-out \(out)/s 2>&1"
        let pipe = try #require(popen(command, "r"))
        var output = ""
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), pipe) != nil {
            output += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let status = pclose(pipe)
        _ = system("rm -rf \(out)")
        // sh -c reports a child killed by signal N as exit status 128 + N.
        let code = (status >> 8) & 0xff
        return (status & 0x7f != 0 ? -(status & 0x7f) : code > 128 ? -(code - 128) : code, output)
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

    @Test func aDirectoryIsRefusedAsADirectory() throws {
        let (status, output) = try Self.compile("invalid")
        #expect(status == 1)
        #expect(output.contains("a directory; give the path of a .tflite file"), "\(output)")
    }

    @Test func anUnprintableIdentifierIsShownInHex() throws {
        let path = try Self.variant("binary-identifier") { bytes in
            for i in 4..<8 { bytes[i] = UInt8(i - 4) }
        }
        let (status, output) = try Self.compile(path)
        #expect(status == 1)
        #expect(output.contains("bytes 4-7 should read TFL3 (the TensorFlow Lite file identifier) but are the bytes 00 01 02 03"), "\(output)")
    }

    @Test func aTruncatedModelIsCalledTruncatedNotAnOffset() throws {
        let path = try Self.variant("truncated") { bytes in bytes.removeLast(bytes.count / 2) }
        let (status, output) = try Self.compile(path)
        #expect(status == 1)
        #expect(output.contains("corrupt file:"), "\(output)")
        #expect(output.contains("truncated or damaged"), "\(output)")
        #expect(!output.contains(" -"), "a negative number in: \(output)")
    }

    @Test func anOffsetBeforeTheStartIsSaidInWords() throws {
        // The root table's vtable offset (the first word of the root table) made huge: the vtable lands before byte 0.
        let path = try Self.variant("negative-offset") { bytes in
            let root = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
            for i in 0..<4 { bytes[root + i] = [0x00, 0x00, 0x00, 0x7f][i] }
        }
        let (status, output) = try Self.compile(path)
        #expect(status == 1)
        #expect(output.contains("points"), "\(output)")
        #expect(output.contains("bytes before its start"), "\(output)")
    }

    /// No corruption of a model makes the compiler trap: 120 copies, each with 8 bytes changed at random (seeded),
    /// are compiled or refused with exit status 0 or 1, never killed by a signal.
    @Test func corruptedModelsAreRefusedNeverTrapped() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
        for round in 0..<120 {
            let path = try Self.variant("fuzz-\(round)") { bytes in
                for _ in 0..<8 { bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next()) }
            }
            let (status, output) = try Self.compile(path)
            #expect(status == 0 || status == 1, "round \(round): status \(status): \(output)")
            unlink(path)
        }
    }

    /// mlp_health.tflite changed by `edit`, written to a scratch file; returns its path.
    static func variant(_ name: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
        let source = try #require(fopen("\(Fixtures.directory)/mlp_health.tflite", "rb"))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, source)
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        fclose(source)
        edit(&bytes)
        let path = "/tmp/fieldagent-modelc-\(getpid())-\(name).tflite"
        let out = try #require(fopen(path, "wb"))
        _ = fwrite(bytes, 1, bytes.count, out)
        fclose(out)
        return path
    }

    @Test func aGoodModelCompiles() throws {
        let (status, output) = try Self.compile("mlp_health.tflite")
        #expect(status == 0, "\(output)")
    }
}
