import Glibc

/// A failed system call: the operation, its `errno` and the text the C library gives for it.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was being done, for example `"epoll_ctl(ADD, fd 7)"`.
    public var operation: String
    /// The `errno` value.
    public var code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(Self.message(for: code)) (errno \(code))" }

    /// The C library's text for an `errno` value. The corresponding C function is `strerror`.
    public static func message(for code: Int32) -> String { String(cString: strerror(code)) }
}

/// Runs a system call, retrying while it fails with `EINTR`, and turns `-1` into a thrown ``SystemError``.
@inline(__always)
public func retryingSyscall<T: FixedWidthInteger>(_ operation: @autoclosure () -> String, _ call: () -> T) throws(SystemError) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(operation(), code: code)
    }
}
