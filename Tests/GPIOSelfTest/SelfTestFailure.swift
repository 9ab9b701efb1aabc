/// Why one self-test check failed, in words a reader of the test log can act on.
struct SelfTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Fails the current check with `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(SelfTestFailure) {
    if !condition { throw SelfTestFailure(message()) }
}
