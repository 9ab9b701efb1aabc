/// Checks the host part of a TCP address as a config or command line gives it, before anything resolves it.
public enum HostName {
    /// Nil when `host` is a numeric IPv4 or IPv6 address, or a well-formed DNS name (labels of letters, digits
    /// and `-`, at most 63 characters each and 253 in all); else what is wrong, with the fix. A port written into
    /// the host (`10.0.0.5:1502`, `[::1]:1502`) is named as such, since the port has its own field.
    public static func problem(_ host: String) -> String? {
        if host.isEmpty { return "the host is empty" }
        if host.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) { return "'\(host)' contains spaces or control characters" }
        if SocketAddress(numericHost: host, port: 0) != nil { return nil }
        if host.hasPrefix("[") {
            return "'\(host)': write an IPv6 address without brackets (and a port in its own field)"
        }
        if let colon = host.lastIndex(of: ":") {
            let address = host[..<colon], port = host[host.index(after: colon)...]
            if !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) {
                return "'\(host)' includes a port; write the host as '\(address)' and the port in its own field (port: \(port))"
            }
            return "'\(host)' is neither a numeric IPv4/IPv6 address nor a host name"
        }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let wellFormed = name.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { c in
                    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                        || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-")
                }
        }
        return wellFormed ? nil : "'\(host)' is neither a numeric IPv4/IPv6 address nor a host name (letters, digits, '-' and '.')"
    }
}
