import CGPIOFacade
import Glibc

/// An output line requested through libgpiod.
final class LibgpiodOutputLine: GPIOOutputLine {
    // request is valid until release() frees it; nil afterwards.
    private var request: OpaquePointer?
    let line: Int
    private(set) var value: Bool

    init(request: OpaquePointer, line: Int, value: Bool) {
        self.request = request
        self.line = line
        self.value = value
    }

    deinit { release() }

    func write(_ value: Bool) throws(GPIOError) {
        guard let request else { preconditionFailure("line \(line) written after release") }
        var v: Int32 = value ? 1 : 0
        guard fa_request_set(request, &v) == 0 else { throw GPIOError.fromErrno(errno, "write line \(line)") }
        self.value = value
    }

    func release() {
        guard let request else { return }
        fa_request_release(request)
        self.request = nil
    }
}
