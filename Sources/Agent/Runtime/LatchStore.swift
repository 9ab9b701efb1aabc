import Glibc

/// Keeps a latched class across restarts of the agent, in one small file (`STATE_DIR/NAME.latch`, holding the
/// class label): a latch that a crash, a watchdog restart or a reboot could clear would restart a faulty
/// machine, which is what latching exists to prevent.
///
/// Written only when the latch changes (rare: a fault, a reset), so an SD card does not wear; the write goes to
/// a temporary file that is fsynced and renamed, then the directory is fsynced, so a power cut leaves either
/// the old state or the new one. Not thread-safe; use it on the loop's thread.
public struct LatchStore: Sendable {
    /// The file.
    public let path: String

    /// A store for the agent `name` in `directory`.
    public init(directory: String, name: String) {
        path = directory + "/" + name + ".latch"
    }

    /// The latched class's label, or nil when nothing is latched (no file, or an empty one).
    /// The corresponding C functions are `open` and `read`.
    public func load() -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { raw in
            // raw is buffer's storage for this call.
            read(fd, raw.baseAddress, raw.count)
        }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return text.isEmpty ? nil : text
    }

    /// Records `label` as latched, or clears the record (nil). Returns a reason when it could not be written.
    /// The corresponding C functions are `open`, `write`, `fsync`, `rename` and `unlink`.
    @discardableResult
    public func save(_ label: String?) -> String? {
        guard let label else {
            if unlink(path) != 0 && errno != ENOENT { return "unlink(\(path)): " + String(cString: strerror(errno)) }
            syncDirectory()
            return nil
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "open(\(temporary)): " + String(cString: strerror(errno)) }
        var text = label + "\n"
        let written = text.withUTF8 { bytes in write(fd, bytes.baseAddress, bytes.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == label.utf8.count + 1, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return "write \(path): \(reason)"
        }
        syncDirectory()
        return nil
    }

    private func syncDirectory() {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
