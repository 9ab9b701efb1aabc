import EventLoop

/// Per-source behaviour windows of the simulation's M2M traffic, computed by the agent's own feature code
/// (``SourceBehaviour``): the data `make train` trains the behaviour model on (`fieldagent dataset --behaviour`).
///
/// Each source is a client of the agent's Modbus server, replayed request by request on a virtual clock: first
/// ``learnWindows`` windows of learning (what it touches becomes known, nothing is written out), then
/// ``windows`` windows whose features are written out. Normal sources are what the simulation's plant does:
/// peers polling the status and values blocks (`peers:`, every 200 ms to 2 s), an operator panel reading
/// the status, anomaly and command blocks, and an allowed writer connecting now and then to write the command
/// block; some of them start only after learning. Adversaries (for evaluation only) are a scanner, a write
/// spammer, a writer replaying its last frame, a peer whose rate jumps and a slowloris. Window length, rates and
/// timing come from `seed`: the same seed gives the same windows. Pure; no I/O.
public struct BehaviourDataset: Sendable {
    /// What a source is.
    public enum Kind: String, Sendable, CaseIterable {
        case poller, panel, writer
        case scanner, writeSpammer = "write_spammer", replay, rateJump = "rate_jump", slowloris

        /// The normal kinds (training data); the others are adversaries.
        public static let normal: [Kind] = [.poller, .panel, .writer]
        public static let adversaries: [Kind] = [.scanner, .writeSpammer, .replay, .rateJump, .slowloris]
        public var isNormal: Bool { Self.normal.contains(self) }
    }

    /// One window of one source.
    public struct Window: Sendable {
        public var source: Int
        public var kind: Kind
        public var windowSeconds: Double
        /// ``SourceBehaviour/featureNames`` order.
        public var features: [Double]
    }

    public var seed: UInt64
    /// Sources per kind.
    public var sourcesPerKind: Int
    /// Windows written per source (after learning).
    public var windows: Int
    public var learnWindows: Int
    /// The kinds generated.
    public var kinds: [Kind]

    public init(seed: UInt64, sourcesPerKind: Int, windows: Int = 40, learnWindows: Int = 30, kinds: [Kind] = Kind.normal) {
        self.seed = seed
        self.sourcesPerKind = sourcesPerKind
        self.windows = windows
        self.learnWindows = learnWindows
        self.kinds = kinds
    }

    /// Window lengths drawn per source, seconds (the default `window:` is 10 s).
    public static let windowLengths: [Double] = [5, 10, 10, 20, 30]

    /// Calls `body` with every written window, source by source.
    public func forEachWindow(_ body: (Window) -> Void) {
        var index = 0
        for kind in kinds {
            for _ in 0..<sourcesPerKind {
                var rng = Random(seed: seed &* 0x9E37_79B9 &+ UInt64(index) &* 0x1000_0001 &+ 17)
                let w = Self.windowLengths[rng.below(Self.windowLengths.count)]
                var script = Script(kind: kind, rng: rng, learnSeconds: Double(learnWindows) * w)
                replay(&script, source: index, windowSeconds: w, body)
                index += 1
            }
        }
    }

    private func replay(_ script: inout Script, source: Int, windowSeconds w: Double, _ body: (Window) -> Void) {
        var behaviour = SourceBehaviour()
        let total = learnWindows + windows
        var window = 0
        var windowEnd = w
        func close() {
            let active = behaviour.requests > 0 || behaviour.connections > 0
            if window >= learnWindows && active {
                body(Window(source: source, kind: script.kind, windowSeconds: w, features: behaviour.features(seconds: w)))
            }
            behaviour.nextWindow()
            window += 1
            windowEnd = Double(window + 1) * w
        }
        var pdu: [UInt8] = []
        while window < total, let e = script.next() {
            while e.time >= windowEnd && window < total { close() }
            guard window < total else { break }
            let learning = window < learnWindows
            switch e.what {
            case .connect: behaviour.connections += 1
            case .disconnect(let requests): if requests == 0 { behaviour.idleConnections += 1 }
            case .request(let fc, let address, let count, let exception):
                pdu.removeAll(keepingCapacity: true)
                pdu += [fc, UInt8(address >> 8), UInt8(address & 0xFF), UInt8(count >> 8), UInt8(count & 0xFF)]
                behaviour.request(pdu[...], exception: exception, at: Instant(nanoseconds: Int64(e.time * 1e9)), learning: learning)
            }
        }
        while window < total { close() }
    }

    /// SplitMix64: small, seeded, the same on every platform.
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func chance(_ p: Double) -> Bool { unit() < p }
    }

    /// One thing a source does.
    struct Event {
        enum What {
            case connect
            case disconnect(requests: Int)
            case request(fc: UInt8, address: UInt16, count: UInt16, exception: Bool)
        }
        var time: Double
        var what: What
    }

    /// A source's traffic, event by event in time order.
    struct Script {
        let kind: Kind
        var rng: Random
        /// When the source starts, and (for replay and rate jump) when it turns.
        let start: Double
        let turn: Double
        let period: Double
        var t: Double
        var pending: [Event] = []
        var connected = false
        var lastWrite: (UInt8, UInt16, UInt16) = (6, 1, 1)
        var scanAddress: UInt16 = 0
        let scanStep: UInt16
        let scanFC: UInt8
        var open: [Double] = []   // slowloris: when each held connection is closed by the server's idle timeout
        var sequence: UInt16 = 0
        /// What a peer reads each poll (`PeerSet`): the status block, then the values block.
        static let peerReads: [(UInt8, UInt16, UInt16)] = [(4, 0, 36), (4, 100, 32)]
        /// What an operator panel reads each time: some of the status, anomaly, values and command blocks.
        let panelReads: [(UInt8, UInt16, UInt16)]

        init(kind: Kind, rng: Random, learnSeconds: Double) {
            self.kind = kind
            var r = rng
            turn = learnSeconds + r.uniform(0, 5)
            switch kind {
            case .poller, .rateJump: period = [0.2, 0.25, 0.5, 0.5, 1, 2][r.below(6)]
            case .panel: period = r.uniform(1, 5)
            case .writer, .replay: period = r.uniform(5, 60)
            case .scanner: period = 1 / r.uniform(2, 25)
            case .writeSpammer: period = 1 / r.uniform(1, 25)
            case .slowloris: period = r.uniform(0.1, 1.5)
            }
            // A tenth of the normal sources first appear after learning (a peer that was down then).
            let late = kind.isNormal && r.chance(0.1)
            if !kind.isNormal && kind != .replay && kind != .rateJump {
                start = turn   // an attacker appears after learning
            } else if late {
                start = learnSeconds + r.uniform(0, 20)
            } else {
                start = r.uniform(0, period)
            }
            scanStep = [1, 8, 16, 40, 100][r.below(5)]
            scanFC = [3, 4, 4, 1, 2][r.below(5)]
            scanAddress = UInt16(r.below(64))
            let blocks: [(UInt8, UInt16, UInt16)] = [(4, 0, 36), (4, 200, 26), (3, 0, 2), (4, 100, 32)]
            let pick = 1 + r.below(15)   // a nonempty subset
            panelReads = blocks.indices.filter { pick & (1 << $0) != 0 }.map { blocks[$0] }
            t = start
            self.rng = r
        }

        /// Whether a read of `count` at `address` of table `fc` is within the agent's register map.
        static func mapped(_ fc: UInt8, _ address: UInt16, _ count: UInt16) -> Bool {
            let end = Int(address) + Int(count)
            switch fc {
            case 4: return end <= 36 || (address >= 100 && end <= 132) || (address >= 200 && end <= 226)
            case 3: return end <= 2
            default: return false
            }
        }

        mutating func next() -> Event? {
            if pending.isEmpty { produce() }
            return pending.isEmpty ? nil : pending.removeFirst()
        }

        /// Appends the source's next burst of events (one poll, one write, one probe, ...).
        private mutating func produce() {
            let answer = rng.uniform(0.001, 0.008)   // the server's answer time: the next pipelined request waits for it
            switch kind {
            case .poller, .rateJump, .panel:
                if !connected || rng.chance(1.0 / 3000) {   // a lost connection now and then: the poller reconnects
                    if connected { pending.append(Event(time: t, what: .disconnect(requests: 1))) }
                    pending.append(Event(time: t + 0.0005, what: .connect))
                    connected = true
                }
                var at = t + 0.001
                for r in kind == .panel ? panelReads : Self.peerReads {
                    pending.append(Event(time: at, what: .request(fc: r.0, address: r.1, count: r.2, exception: false)))
                    at += answer
                }
                var p = period
                if kind == .rateJump && t >= turn { p = max(period / rng.uniform(5, 50), 0.03) }
                t += p * rng.uniform(0.98, 1.02) + (rng.chance(0.01) ? rng.uniform(0, 0.2) : 0)
            case .writer, .replay:
                if kind == .replay && t >= turn {   // the last frame again and again on one connection
                    if !connected {
                        pending.append(Event(time: t, what: .connect))
                        connected = true
                    }
                    pending.append(Event(time: t + 0.001, what: .request(fc: lastWrite.0, address: lastWrite.1, count: lastWrite.2, exception: false)))
                    t += 1 / rng.uniform(1, 20)
                    return
                }
                sequence &+= 1
                lastWrite = rng.chance(0.7) ? (6, 1, sequence) : (16, 0, 2)
                pending.append(Event(time: t, what: .connect))
                pending.append(Event(time: t + 0.002, what: .request(fc: lastWrite.0, address: lastWrite.1, count: lastWrite.2, exception: false)))
                pending.append(Event(time: t + 0.002 + answer, what: .disconnect(requests: 1)))
                t += period * rng.uniform(0.8, 1.2)
            case .scanner:
                if !connected {
                    pending.append(Event(time: t, what: .connect))
                    connected = true
                }
                let count: UInt16 = [1, 8, 10, 16][rng.below(4)]
                pending.append(Event(time: t + 0.001, what: .request(fc: scanFC, address: scanAddress, count: count,
                                                                      exception: !Self.mapped(scanFC, scanAddress, count))))
                scanAddress &+= scanStep
                t += period * rng.uniform(0.9, 1.1)
            case .writeSpammer:
                if !connected {
                    pending.append(Event(time: t, what: .connect))
                    connected = true
                }
                // Not an allowed writer: every write is refused (an exception).
                let address = UInt16(rng.below(300))
                pending.append(Event(time: t + 0.001, what: .request(fc: rng.chance(0.5) ? 6 : 16, address: address, count: 1, exception: true)))
                t += period * rng.uniform(0.5, 1.5)
            case .slowloris:
                // Connects and sends part of a frame; the server closes it after its idle timeout (2 s), no request.
                open.sort()
                while let first = open.first, first <= t {
                    pending.append(Event(time: first, what: .disconnect(requests: 0)))
                    open.removeFirst()
                }
                if open.count < 8 {
                    pending.append(Event(time: t, what: .connect))
                    open.append(t + 2)
                }
                t += period * rng.uniform(0.8, 1.2)
            }
        }
    }
}
