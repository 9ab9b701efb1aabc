/// Where a Modbus device is reached: a TCP host and port (in the clear or over TLS), or a serial line (RTU).
public enum ModbusEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Modbus TCP.
    case tcp(host: String, port: UInt16)
    /// Modbus/TCP Security: Modbus TCP inside mutual TLS (port 802 by default).
    case tls(host: String, port: UInt16)
    /// Modbus RTU over a serial line.
    case rtu(SerialSettings)

    /// True for the endpoints over TCP (plain or TLS).
    public var isTCP: Bool {
        switch self {
        case .tcp, .tls: true
        case .rtu: false
        }
    }

    /// Why an endpoint text could not be read.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `tcp://HOST:PORT` (port 502 when omitted; IPv6 as `tcp://[::1]:1502`), `tls://HOST:PORT`
    /// (port 802 when omitted) or `rtu:/dev/ttyX?baud=19200&parity=E&data=8&stop=1&rs485=1`.
    public static func parse(_ text: String) throws(ParseError) -> ModbusEndpoint {
        if text.hasPrefix("tcp://") || text.hasPrefix("tls://") {
            let secure = text.hasPrefix("tls://")
            var rest = Substring(text.dropFirst(6))
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            var host = rest, port: UInt16 = secure ? 802 : 502
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw ParseError(description: "\(text): missing ']' after the IPv6 address") }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let p = UInt16(after.dropFirst()), p > 0 else { throw ParseError(description: "\(text): bad port '\(after.dropFirst())' (expected 1…65535)") }
                    port = p
                }
            } else if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                guard let p = UInt16(rest[rest.index(after: colon)...]), p > 0 else {
                    throw ParseError(description: "\(text): bad port '\(rest[rest.index(after: colon)...])' (expected 1…65535)")
                }
                port = p
            }
            guard !host.isEmpty else { throw ParseError(description: "\(text): missing host (example: tcp://192.168.1.20:502)") }
            if let problem = HostName.problem(String(host)) { throw ParseError(description: "\(text): \(problem)") }
            return secure ? .tls(host: String(host), port: port) : .tcp(host: String(host), port: port)
        }
        if text.hasPrefix("rtu:") {
            let rest = text.dropFirst(4)
            let parts = rest.split(separator: "?", maxSplits: 1)
            guard let device = parts.first, !device.isEmpty else {
                throw ParseError(description: "\(text): missing device (example: rtu:/dev/ttyUSB0?baud=19200&parity=E)")
            }
            var s = SerialSettings(device: String(device))
            if parts.count == 2 {
                for pair in parts[1].split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { throw ParseError(description: "\(text): '\(pair)' is not key=value") }
                    switch kv[0] {
                    case "baud":
                        guard let b = Int(kv[1]), [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600].contains(b) else {
                            throw ParseError(description: "\(text): baud \(kv[1]) is not a standard rate (9600, 19200, 38400, 57600, 115200, …)")
                        }
                        s.baud = b
                    case "parity":
                        guard let p = SerialSettings.Parity(rawValue: kv[1].uppercased()) else { throw ParseError(description: "\(text): parity \(kv[1]): expected N, E or O") }
                        s.parity = p
                    case "data":
                        guard let d = Int(kv[1]), d == 7 || d == 8 else { throw ParseError(description: "\(text): data bits \(kv[1]): expected 7 or 8") }
                        s.dataBits = d
                    case "stop":
                        guard let d = Int(kv[1]), d == 1 || d == 2 else { throw ParseError(description: "\(text): stop bits \(kv[1]): expected 1 or 2") }
                        s.stopBits = d
                    case "rs485":
                        s.rs485 = kv[1] == "1" || kv[1] == "true" || kv[1] == "yes"
                    default:
                        throw ParseError(description: "\(text): unknown setting '\(kv[0])' (known: baud, parity, data, stop, rs485)")
                    }
                }
            }
            return .rtu(s)
        }
        throw ParseError(description: "\(text): expected tcp://HOST:PORT, tls://HOST:PORT or rtu:/dev/DEVICE?baud=19200&parity=E")
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case .tls(let host, let port): host.contains(":") ? "tls://[\(host)]:\(port)" : "tls://\(host):\(port)"
        case .rtu(let s): "rtu:\(s.device)?baud=\(s.baud)&parity=\(s.parity.rawValue)&data=\(s.dataBits)&stop=\(s.stopBits)" + (s.rs485 ? "&rs485=1" : "")
        }
    }
}
