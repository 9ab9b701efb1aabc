import Glibc
import Testing
@testable import Uplink

@Suite struct DiskBufferTests {
    private func directory() -> String {
        var template = Array("/tmp/fa-diskbuffer-XXXXXX".utf8CString)
        // mkdtemp fills the template in place; the array outlives the call.
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: p!)
    }

    private func record(_ n: Int, size: Int = 100) -> [UInt8] {
        var r = [UInt8](repeating: UInt8(n & 0xff), count: size)
        r[0] = UInt8(n >> 8 & 0xff)
        return r
    }

    @Test func recordsComeBackInOrderAndSurviveAReopen() throws {
        let dir = directory()
        do {
            let b = try DiskBuffer(directory: dir, limit: 1 << 20)
            for i in 0..<3000 { #expect(b.append(record(i))) }
            #expect(b.count == 3000)
        }
        let b = try DiskBuffer(directory: dir, limit: 1 << 20)
        #expect(b.count == 3000)
        for i in 0..<3000 {
            let (pos, r) = try #require(b.peek())
            #expect(r == record(i))
            b.acknowledge(through: pos)
        }
        #expect(b.peek() == nil)
        #expect(b.isEmpty)
    }

    @Test func rewindGivesTheUnacknowledgedRecordsAgain() throws {
        let b = try DiskBuffer(directory: directory(), limit: 1 << 20)
        for i in 0..<10 { b.append(record(i)) }
        let (p0, _) = try #require(b.peek())
        _ = b.peek()
        _ = b.peek()
        b.acknowledge(through: p0)
        b.rewind()
        #expect(b.peek()?.1 == record(1))
        #expect(b.count == 9)
    }

    @Test func beyondTheBoundTheOldestAreDroppedAndCounted() throws {
        let b = try DiskBuffer(directory: directory(), limit: 2 * DiskBuffer.segmentBytes)
        let n = 3 * DiskBuffer.segmentBytes / 1008
        for i in 0..<n { b.append(record(i, size: 1000)) }
        #expect(b.bytes <= 2 * DiskBuffer.segmentBytes)
        #expect(b.dropped > 0)
        #expect(UInt64(b.count) + b.dropped == UInt64(n))
        // What is left is the newest, still in order.
        let (_, first) = try #require(b.peek())
        #expect(first == record(Int(b.dropped), size: 1000))
    }

    @Test func aTornLastRecordIsCutAtTheNextStart() throws {
        let dir = directory()
        do {
            let b = try DiskBuffer(directory: dir, limit: 1 << 20)
            for i in 0..<5 { b.append(record(i)) }
        }
        // A power cut in the middle of the last write: its tail is missing.
        let path = dir + "/0000000000000001.seg"
        var st = stat()
        stat(path, &st)
        truncate(path, st.st_size - 10)
        let b = try DiskBuffer(directory: dir, limit: 1 << 20)
        #expect(b.count == 4)
        b.append(record(9))
        var seen: [[UInt8]] = []
        while let (_, r) = b.peek() { seen.append(r) }
        #expect(seen == [record(0), record(1), record(2), record(3), record(9)])
    }
}

@Suite struct DiskBufferDrainTests {
    @Test func aBufferDrainedToEmptyGivesWhatIsAppendedNext() throws {
        var template = Array("/tmp/fa-diskbuffer-XXXXXX".utf8CString)
        // mkdtemp fills the template in place; the array outlives the call.
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        let b = try DiskBuffer(directory: dir, limit: 1 << 20)
        // Several segments, replayed and acknowledged while records keep arriving, down to empty, twice.
        for round in 0..<2 {
            for i in 0..<4000 { b.append([UInt8(round), UInt8(i & 0xff), UInt8(i >> 8)] + [UInt8](repeating: 7, count: 100)) }
            var got = 0
            while let (pos, r) = b.peek() {
                #expect(r[0] == UInt8(round) && Int(r[1]) | Int(r[2]) << 8 == got)
                b.acknowledge(through: pos)
                got += 1
            }
            #expect(got == 4000)
            #expect(b.isEmpty && b.bytes == 0)
        }
        b.append([9])
        #expect(b.peek()?.1 == [9])
    }
}

@Suite struct DiskBufferUnsentTests {
    @Test func unsentCountsWhatPeekHasNotHandedOut() throws {
        var template = Array("/tmp/fa-diskbuffer-XXXXXX".utf8CString)
        // mkdtemp fills the template in place; the array outlives the call.
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        let b = try DiskBuffer(directory: dir, limit: 1 << 20)
        #expect(!b.hasUnsent)
        b.append([1])
        b.append([2])
        #expect(b.hasUnsent)
        _ = b.peek()
        let (p2, _) = try #require(b.peek())
        #expect(!b.hasUnsent && !b.isEmpty)   // both handed out, neither acknowledged
        b.rewind()
        #expect(b.hasUnsent)
        _ = b.peek(); _ = b.peek()
        b.acknowledge(through: p2)
        #expect(!b.hasUnsent && b.isEmpty)
    }
}
