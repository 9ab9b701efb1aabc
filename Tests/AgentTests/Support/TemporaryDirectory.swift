import Glibc
import EventLoop

/// A new, empty directory `/tmp/fieldagent-TAG-XXXXXX` for one test's files (configs, PKI, state).
func makeTemporaryDirectory(_ tag: String) throws -> String {
    var template = Array("/tmp/fieldagent-\(tag)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard let made else { throw SystemError("mkdtemp /tmp/fieldagent-\(tag)-XXXXXX") }
    return String(cString: made)
}
