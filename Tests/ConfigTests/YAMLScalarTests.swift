import Testing
import YAML

@Suite struct YAMLScalarTests {
    @Test(arguments: [
        ("10ms", Duration.milliseconds(10)), ("2s", .seconds(2)), ("1.5s", .milliseconds(1500)),
        ("250us", .microseconds(250)), ("250µs", .microseconds(250)), ("1m", .seconds(60)), ("1h", .seconds(3600)),
        ("100 ms", .milliseconds(100)), ("0", .zero), ("0ms", .zero), ("0.25ms", .microseconds(250)),
        ("1.000000001s", .nanoseconds(1_000_000_001)), ("10MS", .milliseconds(10)),
    ])
    func durationsWithUnitsParseExactly(text: String, expected: Duration) {
        #expect(YAMLScalar.duration(text) == expected)
    }

    @Test(arguments: ["10", "fast", "ms", "-5ms", "1.ms", ".5s", "1e3ms", "0x10ms", "5 minutes", "nan s", "", "9999999999999h"])
    func textThatIsNotADurationIsRefused(text: String) {
        #expect(YAMLScalar.duration(text) == nil)
    }

    @Test func truthValuesAcceptTheUsualWordsInAnyCase() {
        for word in ["on", "ON", "true", "yes", "Yes", "1", "high"] { #expect(YAMLScalar.bool(word) == true, "\(word)") }
        for word in ["off", "Off", "false", "no", "0", "low"] { #expect(YAMLScalar.bool(word) == false, "\(word)") }
        for word in ["maybe", "2", "", "onn"] { #expect(YAMLScalar.bool(word) == nil, "\(word)") }
    }

    @Test func wholeNumbersAreDecimalOrHex() {
        #expect(YAMLScalar.int("40") == 40)
        #expect(YAMLScalar.int("-3") == -3)
        #expect(YAMLScalar.int("0x1f") == 31)
        #expect(YAMLScalar.int("1.5") == nil)
        #expect(YAMLScalar.int("0xZZ") == nil)
    }

    @Test func misspeltNamesFindTheClosestKnownOnes() {
        #expect(Spelling.closest(to: "debounse", among: ["pin", "debounce"]) == "debounce")
        #expect(Spelling.closest(to: "input", among: ["board", "inputs", "outputs"]) == "inputs")
        #expect(Spelling.closest(to: "xyz", among: ["board", "inputs"]) == nil)
        #expect(Spelling.candidates(for: "rpi6", among: ["rpi3", "rpi4", "rpi5", "sim"]) == ["rpi3", "rpi4", "rpi5"])
        #expect(Spelling.orList(["a", "b", "c"]) == "a, b or c")
    }
}
