import Service
import Testing

@Suite struct PrometheusTextTests {
    /// A set of families like the agent's: counters per peer, gauges, awkward label values and values.
    static func sampleFamilies() -> [MetricFamily] {
        var requests = MetricFamily("fieldagent_modbus_requests_total", help: "Modbus requests sent, per peer.", type: .counter)
        requests.add(12345, ["peer": "line-b", "unit": "1"])
        requests.add(0, ["peer": "line-c", "unit": "2"])
        var link = MetricFamily("fieldagent_peer_up", help: "1 when the peer's link is up.", type: .gauge)
        link.add(true, ["peer": "line-b"])
        link.add(false, ["peer": "quote\"back\\slash\nnewline"])
        var temperature = MetricFamily("fieldagent_sensor_value", help: "Last sensor value; NaN when the sensor returned garbage.", type: .gauge)
        temperature.add(21.5, ["sensor": "temp"])
        temperature.add(Double.nan, ["sensor": "vibration"])
        temperature.add(Double.infinity, ["sensor": "hot"])
        temperature.add(-Double.infinity, ["sensor": "cold"])
        temperature.add(1e-5, ["sensor": "tiny"])
        temperature.add(1.5e300, ["sensor": "huge"])
        var uptime = MetricFamily("fieldagent_uptime_seconds", help: "Seconds since start; help with a \\ backslash\nand a newline.", type: .gauge)
        uptime.add(1_700_000_000)
        return [requests, link, temperature, uptime]
    }

    @Test func rendersHelpAndTypeOncePerFamilyThenOneLinePerSample() {
        var requests = MetricFamily("fieldagent_inferences_total", help: "Inferences run.", type: .counter)
        requests.add(3, ["model": "a"])
        requests.add(4, ["model": "b"])
        var up = MetricFamily("fieldagent_up", help: "Always 1.", type: .gauge)
        up.add(1)
        #expect(PrometheusText.render([requests, up]) == """
            # HELP fieldagent_inferences_total Inferences run.
            # TYPE fieldagent_inferences_total counter
            fieldagent_inferences_total{model="a"} 3
            fieldagent_inferences_total{model="b"} 4
            # HELP fieldagent_up Always 1.
            # TYPE fieldagent_up gauge
            fieldagent_up 1

            """)
    }

    @Test func escapesBackslashQuoteAndNewlineInLabelValues() {
        #expect(PrometheusText.escapeLabelValue(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        #expect(PrometheusText.escapeLabelValue("plain-name_1") == "plain-name_1")
        #expect(PrometheusText.escapeLabelValue("température ✓") == "température ✓")
        var family = MetricFamily("m", help: "h", type: .gauge)
        family.add(1, ["path": "C:\\dir", "quote": "say \"hi\""])
        #expect(PrometheusText.render([family]).contains(#"m{path="C:\\dir",quote="say \"hi\""} 1"#))
    }

    @Test func escapesBackslashAndNewlineInHelpButNotQuotes() {
        #expect(PrometheusText.escapeHelp("a \"quoted\" \\ word\nnext") == #"a "quoted" \\ word\nnext"#)
    }

    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-3.0, "-3"), (12345.0, "12345"), (1_700_000_000.0, "1700000000"),
        (9_007_199_254_740_993.0, "9007199254740992"), (0.25, "0.25"), (-1.5, "-1.5"), (1e-5, "1e-05"),
        (Double.nan, "NaN"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (1e300, "1e+300"),
    ])
    func formatsValuesAsPrometheusParsesThem(value: Double, text: String) {
        #expect(PrometheusText.format(value) == text)
    }

    @Test func integersRenderWithoutExponentUpToTwoToTheSixtyThree() {
        #expect(PrometheusText.format(1e15) == "1000000000000000")
        #expect(PrometheusText.format(1e18) == "1000000000000000000")
        #expect(!PrometheusText.format(1e18).contains("e"))
    }

    @Test func nonIntegralValuesReadBackExactly() {
        for value in [0.1, 1.0 / 3.0, 123.456, 2.5e-9, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude] {
            #expect(Double(PrometheusText.format(value)) == value)
        }
    }

    @Test(arguments: ["a", "_", ":", "fieldagent_requests_total", "job:rate5m", "A9_:x"])
    func acceptsValidMetricNames(name: String) {
        #expect(PrometheusText.isValidMetricName(name))
    }

    @Test(arguments: ["", "9lives", "with-dash", "with space", "dot.name", "é", "a{b}"])
    func rejectsInvalidMetricNames(name: String) {
        #expect(!PrometheusText.isValidMetricName(name))
    }

    @Test func labelNamesHaveNoColonsAndNoReservedPrefix() {
        #expect(PrometheusText.isValidLabelName("peer"))
        #expect(PrometheusText.isValidLabelName("_peer2"))
        #expect(!PrometheusText.isValidLabelName("a:b"))
        #expect(!PrometheusText.isValidLabelName("__name__"))
        #expect(!PrometheusText.isValidLabelName("2a"))
        #expect(!PrometheusText.isValidLabelName(""))
    }

    @Test func aFamilyWithoutSamplesStillDeclaresItself() {
        let empty = MetricFamily("fieldagent_errors_total", help: "Errors.", type: .counter)
        #expect(PrometheusText.render([empty]) == "# HELP fieldagent_errors_total Errors.\n# TYPE fieldagent_errors_total counter\n")
    }

    @Test func renderingIntoAReusedStringAppends() {
        var text = "# prefix\n"
        PrometheusText.render(Self.sampleFamilies(), into: &text)
        #expect(text == "# prefix\n" + PrometheusText.render(Self.sampleFamilies()))
    }

    @Test func everyLineEndsWithANewlineAndHelpTypeAppearOncePerFamily() {
        let text = PrometheusText.render(Self.sampleFamilies())
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        for family in Self.sampleFamilies() {
            #expect(lines.filter { $0.hasPrefix("# HELP \(family.name) ") }.count == 1)
            #expect(lines.filter { $0.hasPrefix("# TYPE \(family.name) ") }.count == 1)
            #expect(lines.filter { $0.hasPrefix(family.name + "{") || $0.hasPrefix(family.name + " ") }.count == family.samples.count)
        }
    }

    @Test(.enabled(if: Promtool.path != nil, "promtool (Debian package prometheus) is not installed"))
    func promtoolParsesAndLintsTheRenderedText() throws {
        let text = PrometheusText.render(Self.sampleFamilies())
        let result = try Promtool.checkMetrics(text)
        #expect(result.status == 0, "promtool check metrics: \(result.output)\n\(text)")
    }

    @Test(.enabled(if: Promtool.path != nil, "promtool (Debian package prometheus) is not installed"))
    func promtoolRejectsWhatTheRendererNeverWrites() throws {
        // The check is real: a missing final newline and a repeated TYPE are parse errors (status 1).
        #expect(try Promtool.checkMetrics("# TYPE a gauge\na 1").status == 1)
        #expect(try Promtool.checkMetrics("# TYPE a gauge\na 1\n# TYPE a gauge\n").status == 1)
    }
}
