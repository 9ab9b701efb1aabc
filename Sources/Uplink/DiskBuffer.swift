import EventLoop
import Glibc

/// Store-and-forward: a bounded, append-only queue of records on disk that survives a restart of the agent.
///
/// Records go to segment files `DIR/<16 hex digits>.seg` (numbered in order; a new one every
/// ``segmentBytes``); each record is `length (u32 LE) · CRC-32 (u32 LE) · bytes`. Appends are plain `write`s
/// to the page cache: no fsync per record (an SD card would wear, and the loop would wait on it), so an agent
/// killed (even SIGKILL) keeps everything, and a power cut loses what the kernel had not written back yet:
/// at most about 35 s (`vm.dirty_expire_centisecs` 30 s + the 5 s writeback period); a torn last record
/// fails its CRC and is dropped at the next start. Each append is one small `write` on the loop; a segment is
/// read back in one `pread` of at most ``segmentBytes`` when the replay reaches it.
///
/// Beyond ``limit`` bytes the oldest segments are deleted, and their records counted in ``dropped``.
/// Reading is two cursors: ``peek(_:)`` hands out records in order, ``acknowledge(_:)`` retires them (a segment
/// is deleted once all of its records are acknowledged) and ``rewind()`` goes back to the first unacknowledged one.
public final class DiskBuffer {
    /// A record's place: segment number and index within it.
    public struct Position: Equatable, Comparable, Sendable {
        public var segment: UInt64
        public var index: Int
        public static func < (a: Position, b: Position) -> Bool { (a.segment, a.index) < (b.segment, b.index) }
    }

    private struct Segment {
        var number: UInt64
        var bytes: Int
        var records: Int
    }

    /// A new segment is started beyond this size.
    public static let segmentBytes = 256 << 10
    /// The largest record accepted.
    public static let maximumRecord = 64 << 10
    /// The most read from a segment in one go on the loop (at least one whole record of the largest size).
    static let readChunk = maximumRecord + 8

    public let directory: String
    public let limit: Int
    /// Records dropped because the bound was reached (oldest first), or found corrupt at start.
    public private(set) var dropped: UInt64 = 0
    /// Why the last disk operation failed, if it did (status).
    public private(set) var lastError: String?
    private var segments: [Segment] = []
    private var tailFD: Int32 = -1
    /// The records of the head segment, loaded when reading starts on it.
    private var headRecords: [[UInt8]] = []
    private var headLoaded: UInt64?
    /// Bytes of the loaded segment already parsed into ``headRecords``.
    private var headOffset = 0
    /// Records of the head segment already acknowledged (they are at its start).
    private var acknowledged = 0
    /// Whether a record waits that ``peek()`` has not handed out yet (since the last ``rewind()``).
    public var hasUnsent: Bool {
        guard let c = cursor else { return count > 0 }
        return segments.contains { ($0.number > c.segment && $0.records > 0) || ($0.number == c.segment && $0.records > c.index) }
    }

    /// The next record ``peek(_:)`` gives.
    private var cursor: Position?
    /// Segment numbers only grow (a cursor into a deleted segment then points before every later one).
    private var nextSegment: UInt64 = 1

    /// Opens (creating it if needed) the buffer in `directory`, bounded to `limit` bytes. Existing segments are
    /// scanned (their records counted, a torn tail cut off).
    public init(directory: String, limit: Int) throws(SystemError) {
        self.directory = directory
        self.limit = max(limit, 2 * Self.segmentBytes)
        if mkdir(directory, 0o750) != 0 && errno != EEXIST { throw SystemError("mkdir \(directory)") }
        guard let dir = opendir(directory) else { throw SystemError("opendir \(directory)") }
        var numbers: [UInt64] = []
        while let entry = readdir(dir) {
            // d_name is a NUL-terminated array inside the dirent readdir returned; valid until the next readdir.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".seg"), name.count == 20, let n = UInt64(name.prefix(16), radix: 16) else { continue }
            numbers.append(n)
        }
        closedir(dir)
        nextSegment = (numbers.max() ?? 0) + 1
        for n in numbers.sorted() {
            let (records, validBytes, fileBytes) = scan(n)
            if validBytes < fileBytes { _ = truncate(path(n), off_t(validBytes)) }
            if records == 0 { unlink(path(n)); continue }
            segments.append(Segment(number: n, bytes: validBytes, records: records))
        }
    }

    deinit { if tailFD >= 0 { close(tailFD) } }

    /// Records waiting (acknowledged ones excluded).
    public var count: Int { segments.reduce(0) { $0 + $1.records } - acknowledged }
    /// Bytes on disk.
    public var bytes: Int { segments.reduce(0) { $0 + $1.bytes } }
    public var isEmpty: Bool { count == 0 }

    /// Appends a record (one `write`); drops the oldest segments beyond the bound. False, with ``lastError``, when
    /// the disk refused (the record is lost and counted).
    @discardableResult
    public func append(_ record: [UInt8]) -> Bool {
        guard record.count <= Self.maximumRecord else { dropped += 1; lastError = "record of \(record.count) bytes refused"; return false }
        let full = segments.last.map { $0.bytes + record.count + 8 > Self.segmentBytes } ?? true
        if full || tailFD < 0 {
            guard openTail(fresh: full) else {
                dropped += 1
                return false
            }
        }
        var frame = [UInt8]()
        frame.reserveCapacity(record.count + 8)
        Self.put32(&frame, UInt32(record.count))
        Self.put32(&frame, CRC32.checksum(record))
        frame += record
        let written = frame.withUnsafeBytes { write(tailFD, $0.baseAddress, $0.count) }
        guard written == frame.count else {
            lastError = "write \(path(segments[segments.count - 1].number)): " + (written < 0 ? SystemError.message(for: errno) : "short write")
            if written > 0 { _ = ftruncate(tailFD, off_t(segments[segments.count - 1].bytes)) }
            dropped += 1
            return false
        }
        segments[segments.count - 1].bytes += frame.count
        segments[segments.count - 1].records += 1
        enforceLimit()
        return true
    }

    /// The next record not yet handed out since the last ``rewind()``, with its position; nil when none is left.
    public func peek() -> (Position, [UInt8])? {
        guard !segments.isEmpty else { return nil }
        var pos = cursor ?? Position(segment: segments[0].number, index: acknowledged)
        while true {
            guard let si = segments.firstIndex(where: { $0.number == pos.segment }) ?? segments.firstIndex(where: { $0.number > pos.segment }) else { return nil }
            if segments[si].number != pos.segment { pos = Position(segment: segments[si].number, index: 0) }
            if pos.index < segments[si].records {
                var records = headLoaded == segments[si].number ? headRecords : []
                while pos.index >= records.count {
                    let before = headLoaded == segments[si].number ? headRecords.count : -1
                    guard let more = load(segments[si].number), more.count > before else { return nil }
                    records = more
                }
                cursor = Position(segment: pos.segment, index: pos.index + 1)
                return (pos, records[pos.index])
            }
            guard si + 1 < segments.count else { cursor = pos; return nil }
            pos = Position(segment: segments[si + 1].number, index: 0)
        }
    }

    /// Retires every record up to and including `position` (records are acknowledged in order).
    public func acknowledge(through position: Position) {
        while let head = segments.first, head.number <= position.segment {
            if head.number < position.segment || position.index + 1 >= head.records {
                retireHead()
            } else {
                acknowledged = max(acknowledged, position.index + 1)
                return
            }
        }
    }

    /// The next ``peek()`` starts again at the first unacknowledged record.
    public func rewind() { cursor = nil }

    private func retireHead() {
        let head = segments.removeFirst()
        if segments.isEmpty {
            if tailFD >= 0 { close(tailFD); tailFD = -1 }
            cursor = nil
        }
        unlink(path(head.number))
        acknowledged = 0
        if headLoaded == head.number { headLoaded = nil; headRecords = []; headOffset = 0 }
    }

    private func enforceLimit() {
        while bytes > limit, segments.count > 1 {
            dropped += UInt64(segments[0].records - acknowledged)
            if let c = cursor, c.segment == segments[0].number { cursor = nil }
            retireHead()
        }
    }

    private func openTail(fresh: Bool) -> Bool {
        if tailFD >= 0 { close(tailFD); tailFD = -1 }
        let number = fresh ? nextSegment : segments[segments.count - 1].number
        let fd = open(path(number), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            lastError = "open \(path(number)): " + SystemError.message(for: errno)
            return false
        }
        tailFD = fd
        if fresh {
            segments.append(Segment(number: number, bytes: 0, records: 0))
            nextSegment = number + 1
        }
        return true
    }

    /// The records of segment `n` (the whole segment is read once and kept while it is the head).
    private func load(_ n: UInt64) -> [[UInt8]]? {
        let expected = segments.first(where: { $0.number == n })?.records ?? 0
        if headLoaded == n, headRecords.count == expected { return headRecords }
        if headLoaded != n {
            headLoaded = n
            headRecords = []
            headOffset = 0
        }
        // Only what was appended since the last read (the tail segment grows while it is replayed), and at most
        // one chunk per call, so a read from a slow SD card is short; the caller asks again for more.
        guard let data = readFile(path(n), from: headOffset, atMost: Self.readChunk) else { return nil }
        var offset = 0
        while let (record, next) = Self.frame(data, at: offset) {
            headRecords.append(record)
            offset = next
        }
        headOffset += offset
        return headRecords
    }

    private func scan(_ n: UInt64) -> (records: Int, validBytes: Int, fileBytes: Int) {
        guard let data = readFile(path(n), from: 0) else { return (0, 0, 0) }
        var offset = 0
        var records = 0
        while let (_, next) = Self.frame(data, at: offset) {
            records += 1
            offset = next
        }
        if offset < data.count { dropped += 1 }
        return (records, offset, data.count)
    }

    private static func frame(_ data: [UInt8], at offset: Int) -> ([UInt8], Int)? {
        guard offset + 8 <= data.count else { return nil }
        let length = Int(get32(data, offset))
        guard length <= maximumRecord, offset + 8 + length <= data.count else { return nil }
        let record = Array(data[(offset + 8)..<(offset + 8 + length)])
        guard CRC32.checksum(record) == get32(data, offset + 4) else { return nil }
        return (record, offset + 8 + length)
    }

    private func readFile(_ p: String, from start: Int, atMost limit: Int = 4 * DiskBuffer.segmentBytes) -> [UInt8]? {
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { lastError = "open \(p): " + SystemError.message(for: errno); return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let size = max(0, min(Int(st.st_size) - start, limit))
        var data = [UInt8](repeating: 0, count: size)
        var got = 0
        while got < size {
            // The buffer holds `size` bytes; pread fills at most the `size - got` left after `got`.
            let n = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, size - got, off_t(start + got)) }
            if n <= 0 { break }
            got += n
        }
        return Array(data.prefix(got))
    }

    private func path(_ n: UInt64) -> String {
        let hex = String(n, radix: 16)
        return directory + "/" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".seg"
    }

    private static func put32(_ out: inout [UInt8], _ v: UInt32) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    private static func get32(_ data: [UInt8], _ at: Int) -> UInt32 {
        UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
    }
}

/// CRC-32 (IEEE 802.3, as zlib), for the buffer's records.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
