import Config
import Glibc
import EventLoop
import Modbus

/// Per polled Modbus device (`modbus:`, with `security:`): how it answered while learning (per point: data, or
/// which exception; its answer time), and a flag, one log line and alarm bit 11 when it starts answering unlike
/// itself: a possible swap for another device, or a spoof. Per peer (`peers:`): the name in its status block. Cleared when it answers like itself again for
/// ``clearAfter`` answers in a row. A device that answers Read Device Identification (FC 43 / MEI 14) is also
/// checked by what it says it is (vendor, product code, revision): another identity, or refusing the request after
/// answering it while learning, is a possible swap or spoof at once. A device that refused it while learning is
/// judged by its answer profile alone.
public final class DeviceIdentity {
    /// One device's profile and verdict.
    public struct Device {
        /// Per point while learning: "ok" or the exception's name.
        public var points: [String: String] = [:]
        var count = 0
        var mean = 0.0
        var m2 = 0.0
        var recent: [Double] = []
        var mismatches = 0
        var matches = 0
        /// Why it is suspect, or nil.
        public var suspect: String?
        public var answers = 0

        /// The learned mean answer time, ms.
        public var learnedMilliseconds: Double { count > 0 ? Double.exp(mean) : .nan }
    }

    /// Answers in a row that must differ from the profile before a device is suspect, and match it to clear.
    public static let confirm = 3
    public static let clearAfter = 20
    /// Answers averaged for the timing check.
    public static let timingWindow = 16

    public private(set) var devices: [String: Device] = [:]
    public let learningUntil: Instant
    private let loop: EventLoop
    private let logger: Logger

    public init(learn: Duration, loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
        learningUntil = loop.now + learn
    }

    /// The suspect devices now.
    public var suspects: [String] { devices.filter { $0.value.suspect != nil }.map(\.key).sorted() }

    /// One status block read from `peer`, whose identity registers (20–35) name it `name`: learned while
    /// learning; afterwards another name is a possible swap or spoof at once (a name does not drift).
    public func peer(_ peer: String, answersAs name: String) {
        let key = "peer " + peer
        var d = devices[key, default: Device()]
        d.answers += 1
        if loop.now < learningUntil {
            if d.points["name"] == nil { d.points["name"] = name }
        } else if let learned = d.points["name"], learned != name {
            if d.suspect == nil {
                d.suspect = "answers as '\(name)', was '\(learned)' while learning"
                logger.warning("security.identity", ["peer": peer, "reason": d.suspect!, "meaning": "possible swap for another agent, or a spoof"])
            }
            d.matches = 0
        } else if d.suspect != nil {
            d.matches += 1
            if d.matches >= Self.clearAfter {
                d.suspect = nil
                logger.notice("security.identity_restored", ["peer": peer, "answers": Self.clearAfter])
            }
        }
        devices[key] = d
    }

    /// One answer of `device` to Read Device Identification: `text` is its basic objects joined, nil when it
    /// refused the request with an exception (timeouts are not reported: they say nothing about who answers).
    public func identification(device: String, text: String?) {
        var d = devices[device, default: Device()]
        let seen = text ?? "(refuses device identification)"
        if loop.now < learningUntil {
            if d.points["identification"] == nil { d.points["identification"] = seen }
        } else if let learned = d.points["identification"], learned != seen, learned != "(refuses device identification)" {
            if d.suspect == nil {
                d.suspect = "identifies as \(seen), was \(learned) while learning"
                logger.warning("security.identity", ["device": device, "reason": d.suspect!, "meaning": "possible swap for another device, or a spoof"])
            }
            d.matches = 0
        }
        devices[device] = d
    }

    /// One answer of `device` for `point`.
    public func answer(device: String, point: String, took: Duration, exception: ModbusExceptionCode?) {
        var d = devices[device, default: Device()]
        d.answers += 1
        let outcome = exception?.name ?? "ok"
        let ms = max(Double(took.nanoseconds) / 1e6, 0.01)
        let logTime = Double.log(ms)
        if loop.now < learningUntil {
            if d.points[point] == nil { d.points[point] = outcome }
            d.count += 1
            let delta = logTime - d.mean
            d.mean += delta / Double(d.count)
            d.m2 += delta * (logTime - d.mean)
            devices[device] = d
            return
        }
        d.recent.append(logTime)
        if d.recent.count > Self.timingWindow { d.recent.removeFirst() }
        var why: String?
        if let learned = d.points[point], learned != outcome {
            why = "point \(point) answered \(learned) while learning, now \(outcome)"
        } else if d.recent.count == Self.timingWindow, d.count >= 2 {
            let now = d.recent.reduce(0, +) / Double(d.recent.count)
            let std = (d.m2 / Double(d.count - 1)).squareRoot()
            let nowMs = Double.exp(now), learnedMs = Double.exp(d.mean)
            if abs(now - d.mean) > max(Double.log(4), 4 * std) && abs(nowMs - learnedMs) > 1 {
                why = "answers in \(formatFixed(nowMs, digits: 2)) ms, \(formatFixed(learnedMs, digits: 2)) ms while learning"
            }
        }
        if let why {
            d.matches = 0
            d.mismatches += 1
            if d.suspect == nil && d.mismatches >= Self.confirm {
                d.suspect = why
                logger.warning("security.identity", ["device": device, "reason": why, "meaning": "possible swap for another device, or a spoof"])
            }
        } else {
            d.mismatches = 0
            d.matches += 1
            if d.suspect != nil && d.matches >= Self.clearAfter {
                d.suspect = nil
                logger.notice("security.identity_restored", ["device": device, "answers": Self.clearAfter])
            }
        }
        devices[device] = d
    }
}

extension Double {
    static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    static func log(_ x: Double) -> Double { Glibc.log(x) }
}
