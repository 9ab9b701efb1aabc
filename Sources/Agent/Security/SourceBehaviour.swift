import Config
import EventLoop
import Modbus

/// One source's behaviour (a client address of the agent's Modbus server) over the current window, and what it
/// has done before: the counts the behaviour features are computed from. Fed per request on the loop.
public struct SourceBehaviour {
    /// The features, in vector order.
    public static let featureNames = SecurityConfig.featureNames

    // The window's counts.
    var requests = 0
    var writes = 0
    var exceptions = 0
    var novel = 0
    var blocks = Set<UInt32>()
    public internal(set) var connections = 0
    var idleConnections = 0
    var lastRequest: Instant?
    var gapCount = 0
    var gapSum = 0.0
    var gapSquares = 0.0
    /// (table, 16-register block) keys this source read or wrote while learning: what it normally touches.
    var known = Set<UInt32>()

    /// The table and 16-register block of a request, or nil when the PDU is too short to say.
    static func block(_ pdu: ArraySlice<UInt8>) -> UInt32? {
        guard pdu.count >= 3, let fc = pdu.first else { return nil }
        let address = UInt32(pdu[pdu.startIndex + 1]) << 8 | UInt32(pdu[pdu.startIndex + 2])
        return UInt32(fc & 0x7F) << 16 | address >> 4
    }

    /// Distinct blocks counted per window (and learned) at most: bounds the memory a scanner can make it use.
    static let maximumBlocks = 4096

    /// Whether a function code writes (5, 6, 15, 16, 22, 23).
    static func isWrite(_ fc: UInt8) -> Bool { [5, 6, 15, 16, 22, 23].contains(fc) }

    mutating func request(_ pdu: ArraySlice<UInt8>, exception: Bool, at now: Instant, learning: Bool) {
        requests += 1
        if let fc = pdu.first, Self.isWrite(fc) { writes += 1 }
        if exception { exceptions += 1 }
        if let b = Self.block(pdu) {
            if blocks.count < Self.maximumBlocks { blocks.insert(b) }
            if learning { if known.count < Self.maximumBlocks { known.insert(b) } } else if !known.contains(b) { novel += 1 }
        }
        if let last = lastRequest {
            let gap = Double((now - last).nanoseconds) / 1e9
            gapCount += 1
            gapSum += gap
            gapSquares += gap * gap
        }
        lastRequest = now
    }

    /// The window's feature vector (``featureNames`` order), for a window of `seconds`.
    func features(seconds: Double) -> [Double] {
        let n = Double(max(requests, 1))
        var jitter = 0.0
        if gapCount >= 2 {
            let mean = gapSum / Double(gapCount)
            let variance = max(0, gapSquares / Double(gapCount) - mean * mean)
            jitter = mean > 0 ? variance.squareRoot() / mean : 0
        }
        return [Double(requests) / seconds, Double(writes) / n, Double(exceptions) / n, Double(novel) / n, Double(blocks.count),
                Double(connections), Double(idleConnections), jitter]
    }

    /// Starts the next window (what was learned stays).
    mutating func nextWindow() {
        requests = 0
        writes = 0
        exceptions = 0
        novel = 0
        blocks.removeAll(keepingCapacity: blocks.count < 64)
        connections = 0
        idleConnections = 0
        gapCount = 0
        gapSum = 0
        gapSquares = 0
    }
}
