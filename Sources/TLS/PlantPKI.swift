import CTLSShim
import Glibc

/// A small plant's PKI in one folder (`fieldagent pki`): a CA, then one key and certificate per agent,
/// operator station or SCADA, each with its Modbus role and the host names or addresses it answers on.
/// P-256 keys, SHA-256 signatures, PEM files; keys are written with mode 0600.
///
/// Layout: `ca.crt`, `ca.key`, `NAME.crt`, `NAME.key`, `crl.pem`.
public struct PlantPKI: Sendable {
    /// The folder.
    public var directory: String

    public init(directory: String) { self.directory = directory }

    public var caCertificate: String { directory + "/ca.crt" }
    public var caKey: String { directory + "/ca.key" }
    public var crl: String { directory + "/crl.pem" }
    public func certificate(_ name: String) -> String { "\(directory)/\(name).crt" }
    public func key(_ name: String) -> String { "\(directory)/\(name).key" }

    /// The identity of `name` in this PKI (its certificate and key, the CA, the CRL when `withCRL`).
    public func identity(_ name: String, withCRL: Bool = false) -> TLSIdentity {
        TLSIdentity(ca: caCertificate, certificate: certificate(name), key: key(name), crl: withCRL ? crl : nil)
    }

    /// Makes the CA (valid for `days`).
    public func makeCA(commonName: String = "FieldAgent plant CA", days: Int = 3650) throws(TLSError) {
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else { throw TLSError("cannot create \(directory): \(String(cString: strerror(errno)))") }
        var err = [CChar](repeating: 0, count: 512)
        let rc = err.withUnsafeMutableBufferPointer { buffer in
            // buffer is this call's error text.
            fa_pki_make_ca(caCertificate, caKey, commonName, Int32(clamping: days), buffer.baseAddress, buffer.count)
        }
        if rc != 0 { throw TLSError(cText(err)) }
    }

    /// Issues `NAME.crt` and `NAME.key`, signed by the CA, valid from `startDay` days from now for `days`
    /// days, with one role extension per entry of `roles` and `hosts` as subject alternative names.
    /// Returns the serial number (to revoke it later).
    @discardableResult
    public func issue(_ name: String, roles: [String], hosts: [String] = [], startDay: Int = 0, days: Int = 825) throws(TLSError) -> Int64 {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !name.hasPrefix(".") else {
            throw TLSError("name '\(name)': use letters, digits, '-', '_' and '.'")
        }
        for r in roles where r.isEmpty || r.utf8.count > 64 || !r.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
            throw TLSError("role '\(r)': 1…64 printable ASCII characters without spaces")
        }
        var serial = Int64(1)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        serial = (Int64(now.tv_sec) << 20) | Int64(now.tv_nsec / 1000 & 0xFFFFF)
        var err = [CChar](repeating: 0, count: 512)
        let roleC = roles.map { strdup($0) }
        let hostC = hosts.map { strdup($0) }
        defer { roleC.forEach { free($0) }; hostC.forEach { free($0) } }
        let rc = roleC.map { UnsafePointer($0) }.withUnsafeBufferPointer { rolePointers in
            hostC.map { UnsafePointer($0) }.withUnsafeBufferPointer { hostPointers in
                err.withUnsafeMutableBufferPointer { buffer in
                    // The pointer arrays and strings live until the defer above; buffer is the error text.
                    fa_pki_issue(caCertificate, caKey, certificate(name), key(name), name, rolePointers.baseAddress, Int32(roles.count),
                                 hostPointers.baseAddress, Int32(hosts.count), Int32(clamping: startDay), Int32(clamping: days), serial,
                                 buffer.baseAddress, buffer.count)
                }
            }
        }
        if rc != 0 { throw TLSError(cText(err)) }
        return serial
    }

    /// Writes `crl.pem` revoking the certificates of `names` (read from their files), valid for `days`.
    public func revoke(_ names: [String], days: Int = 30) throws(TLSError) {
        var serials: [Int64] = []
        var err = [CChar](repeating: 0, count: 512)
        for name in names {
            let s = err.withUnsafeMutableBufferPointer { buffer in
                // buffer is this call's error text.
                fa_pki_serial(certificate(name), buffer.baseAddress, buffer.count)
            }
            if s < 0 { throw TLSError(cText(err)) }
            serials.append(s)
        }
        let rc = serials.withUnsafeBufferPointer { list in
            err.withUnsafeMutableBufferPointer { buffer in
                // list holds the serials; buffer is the error text.
                fa_pki_revoke(caCertificate, caKey, crl, list.baseAddress, Int32(list.count), Int32(clamping: days), buffer.baseAddress, buffer.count)
            }
        }
        if rc != 0 { throw TLSError(cText(err)) }
    }

    /// When the certificate in `path` expires, in seconds since the Epoch.
    public static func notAfter(certificate path: String) throws(TLSError) -> Int64 {
        var err = [CChar](repeating: 0, count: 512)
        let t = err.withUnsafeMutableBufferPointer { buffer in
            // buffer is this call's error text.
            fa_pki_not_after(path, buffer.baseAddress, buffer.count)
        }
        if t == 0 { throw TLSError(cText(err)) }
        return t
    }
}
