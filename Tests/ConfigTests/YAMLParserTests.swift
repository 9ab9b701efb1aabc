import Testing
import YAML

@Suite struct YAMLParserTests {
    func parse(_ text: String) throws(YAMLError) -> YAMLNode { try YAMLParser.parse(text, file: "t.yaml") }

    func error(_ text: String) -> YAMLError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyNodeKnowsItsFileLineAndColumn() throws {
        let root = try parse("board: sim\ninputs:\n  - name: button\n    pin: GPIO17\n")
        #expect(root.mark == SourceMark(file: "t.yaml", line: 1, column: 1))
        let input = try #require(root["inputs"]?.sequenceItems?.first)
        #expect(input.mark.description == "t.yaml:3:5")
        #expect(input["pin"]?.scalarValue == "GPIO17")
        #expect(input["pin"]?.mark.description == "t.yaml:4:10")
        #expect(root["board"]?.mark.column == 8)
    }

    @Test func quotedAndFlowValuesAreReadAsText() throws {
        let root = try parse("a: \"on\"\nb: [x, 'y z']\nc: {d: 1}\n")
        #expect(root["a"]?.scalarValue == "on")
        #expect(root["b"]?.sequenceItems?.compactMap(\.scalarValue) == ["x", "y z"])
        #expect(root["c"]?["d"]?.scalarValue == "1")
    }

    @Test func anEmptyDocumentIsAnEmptyMapping() throws {
        let root = try parse("# only a comment\n")
        #expect(root.mappingPairs?.isEmpty == true)
    }

    @Test func libyamlErrorsComeBackAsFileLineColumnMessage() {
        let e = error("board: sim\ninputs:\n  - name: a\n     pin: GPIO4\n")
        #expect(e?.description == "t.yaml:4:9: error: malformed YAML: mapping values are not allowed in this context")
        let tab = error("a:\n\t- b\n")
        #expect(tab?.mark.line == 2)
        #expect(tab?.message.hasPrefix("malformed YAML:") == true)
        #expect(tab?.message.hasSuffix("; YAML indents with spaces, not tabs") == true, "\(String(describing: tab))")
    }

    @Test func anUnclosedQuoteNamesWhereTheScalarStarted() {
        let e = error("a: \"open\nb: c\n")
        #expect(e?.message.contains("found unexpected end of stream") == true, "\(String(describing: e))")
        #expect(e?.message.contains("line 1") == true)
    }

    @Test func aDuplicateKeyIsAnErrorAtTheSecondKey() {
        let e = error("board: sim\nname: a\nboard: rpi4\n")
        #expect(e?.description == "t.yaml:3:1: error: duplicate key 'board' (first at line 1); a key may appear once")
        #expect(error("inputs:\n  - name: a\n    pin: GPIO4\n    pin: GPIO5\n")?.mark.line == 4)
    }

    @Test func theSameKeyInDifferentMappingsIsFine() throws {
        let root = try parse("inputs:\n  - name: a\n  - name: b\n")
        #expect(root["inputs"]?.sequenceItems?.count == 2)
    }

    @Test func anchorsAndAliasesAreRefusedWithAClearMessage() {
        #expect(error("a: &x 1\nb: 2\n")?.message == "anchors (&name) are not supported; write the value out")
        #expect(error("a: &x {p: 1}\n")?.message.hasPrefix("anchors") == true)
        let alias = error("a: 1\nb: *x\n")
        #expect(alias?.mark.line == 2)
        #expect(alias?.message.contains("aliases") == true || alias?.message.contains("undefined") == true)
    }

    @Test func aSecondDocumentIsRefused() {
        let e = error("board: sim\n---\nboard: rpi4\n")
        #expect(e?.mark.line == 2)
        #expect(e?.message.contains("second document") == true)
    }

    @Test func nestingTooDeepIsRefused() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(error(deep)?.message.contains("nested deeper") == true)
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        do {
            _ = try YAMLParser.parse(path: "/nonexistent/config.yaml")
            Issue.record("parsed a missing file")
        } catch {
            #expect(error.description == "/nonexistent/config.yaml: error: cannot read /nonexistent/config.yaml: No such file or directory")
        }
    }

    @Test func typedAccessorsThrowAtTheNodesPlace() throws {
        let root = try parse("n: 12\nh: 0x1F\nb: yes\nd: 1.5s\nbad: soon\nlist: [1]\n")
        #expect(try root["n"]?.int("n") == 12)
        #expect(try root["h"]?.int("h") == 31)
        #expect(try root["b"]?.bool("b") == true)
        #expect(try root["d"]?.duration("d") == .milliseconds(1500))
        #expect(throws: YAMLError(SourceMark(file: "t.yaml", line: 5, column: 6),
                                  "bad: 'soon' is not a duration; write for example 10ms, 2s, 1.5s, 250us or 1m")) {
            try root["bad"]?.duration("bad")
        }
        #expect(throws: YAMLError(SourceMark(file: "t.yaml", line: 6, column: 7), "list must be a single value, not a list")) {
            try root["list"]?.string("list")
        }
        #expect(throws: YAMLError(SourceMark(file: "t.yaml", line: 1, column: 4), "n: 12 is out of range; write 1…10")) {
            try root["n"]?.int("n", in: 1...10)
        }
    }
}
