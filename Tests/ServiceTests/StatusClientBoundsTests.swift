import EventLoop
import Glibc
import Service
import Testing

/// `fieldagent status` reads a bounded answer: whatever listens at the socket, the client's memory stays small.
@Suite struct StatusClientBoundsTests {
    @Test func anAnswerLongerThanTheLimitIsRefusedInsteadOfBuffered() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let path = dir.file("flood.sock")
        let listener = try UnixSocket.listen(path: path)
        defer { loop.unwatch(listener); close(listener) }
        // Not an agent: it answers with 8 MiB (twice the client's limit) and keeps the connection open.
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 65536)
        var clients: [Int32] = []
        var sent: [Int32: Int] = [:]
        defer { for fd in clients { loop.unwatch(fd); close(fd) } }
        try loop.watch(listener, for: .readable) { _ in
            while let fd = UnixSocket.accept(listener) {
                clients.append(fd)
                sent[fd] = 0
                try? loop.watch(fd, for: .writable) { _ in
                    while sent[fd, default: 0] < 8 << 20 {
                        let n = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        guard n > 0 else { return }
                        sent[fd, default: 0] += n
                    }
                    try? loop.updateWatch(fd, for: .readable)
                }
            }
        }
        let code = try whileLoopRuns(loop) { () -> Int32 in
            do throws(SystemError) {
                _ = try StatusClient.query(path: path, timeout: .seconds(5))
                return 0
            } catch {
                return error.code
            }
        }
        #expect(code == EMSGSIZE)
    }
}
