import Glibc

/// The files one side of a TLS link authenticates with: the plant CA that signs every peer, this side's
/// certificate chain and private key, and optionally a revocation list (CRL) from the same CA.
public struct TLSIdentity: Sendable, Equatable {
    /// PEM file of the CA certificate(s) peers are verified against.
    public var ca: String
    /// PEM file of this side's certificate (leaf first, then intermediates).
    public var certificate: String
    /// PEM file of this side's private key: readable by the service user only.
    public var key: String
    /// PEM file of revocation lists from the CA; nil checks none.
    public var crl: String?

    public init(ca: String, certificate: String, key: String, crl: String? = nil) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
        self.crl = crl
    }

    /// Nil when the key file belongs to this process's user (unless `checkOwner` is false: `fieldagent check`
    /// run by an administrator) and nobody else may read or write it; else why not, with the fix (`chmod 600 …`).
    /// A private key others can read is not private. The corresponding C function is `stat`.
    public func keyFileProblem(checkOwner: Bool = true) -> String? {
        var st = stat()
        guard stat(key, &st) == 0 else { return "cannot read the key file \(key): \(String(cString: strerror(errno)))" }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return "the key file \(key) is not a regular file" }
        let others = st.st_mode & 0o077
        if others != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            return "the key file \(key) is readable or writable by group or others (mode \(mode)); run: chmod 600 \(key)"
        }
        if checkOwner && st.st_uid != geteuid() {
            return "the key file \(key) belongs to uid \(st.st_uid), not to the user the agent runs as (uid \(geteuid())); run: chown that user \(key)"
        }
        return nil
    }
}
