import Testing
@testable import Uplink

@Suite struct SparkplugPayloadTests {
    @Test func aPayloadDecodesToWhatWasEncoded() throws {
        let p = SparkplugPayload(timestamp: 1_700_000_000_123, metrics: [
            SparkplugMetric(name: "bdSeq", value: .int64(7)),
            SparkplugMetric(alias: 3, timestamp: 1_700_000_000_000, value: .double(-2.5), isHistorical: true),
            SparkplugMetric(name: "Outputs/lamp", alias: 4, value: .boolean(true)),
            SparkplugMetric(name: "Model/Class", value: .string("bearing-wear")),
            SparkplugMetric(name: "Features/rms", value: .null(.double)),
        ], seq: 255)
        #expect(try SparkplugPayload.decode(p.encoded()) == p)
    }

    @Test func aNegativeInt64SurvivesTheVarint() throws {
        let p = SparkplugPayload(metrics: [SparkplugMetric(name: "x", value: .int64(-1))])
        #expect(try SparkplugPayload.decode(p.encoded()).metrics[0].value == .int64(-1))
    }

    @Test(arguments: [[0x12, 0x05, 0x0a], [0x08], [0x12, 0xff, 0xff, 0xff, 0xff, 0x0f], [0x0b], [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]] as [[UInt8]])
    func truncatedOrMalformedBytesAreAnErrorNotATrap(_ bytes: [UInt8]) {
        #expect(throws: ProtobufError.self) { _ = try SparkplugPayload.decode(bytes) }
    }

    @Test func unknownFieldsAreSkipped() throws {
        // field 4 (uuid, string "ab") and field 5 (body) before seq 9
        let bytes: [UInt8] = [0x22, 0x02, 0x61, 0x62, 0x2a, 0x01, 0x00, 0x18, 0x09]
        #expect(try SparkplugPayload.decode(bytes).seq == 9)
    }
}
