/// What the peer certificate says about its role (MODBUS/TCP Security's extension 1.3.6.1.4.1.50316.802.1,
/// an ASN.1 UTF8String).
public enum TLSPeerRole: Sendable, Equatable, CustomStringConvertible {
    /// No role extension.
    case none
    /// Exactly one, well formed.
    case role(String)
    /// Two or more role extensions: ambiguous, so no role.
    case duplicated
    /// One that is not a UTF8String of 1…64 printable ASCII characters.
    case malformed

    /// The role authorization uses: the named one, else the empty role.
    public var effective: String {
        if case .role(let r) = self { return r }
        return ""
    }

    public var description: String {
        switch self {
        case .none: "none (no role extension)"
        case .role(let r): r
        case .duplicated: "none (several role extensions)"
        case .malformed: "none (malformed role extension)"
        }
    }
}
