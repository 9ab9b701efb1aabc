/// Substring search without Swift's regex engine: `String.contains(String)` is an extension from `_StringProcessing`,
/// which would add about 1.5 MB to the static binary (Platform/check-binary refuses it). Compares UTF-8 bytes.
extension StringProtocol {
    /// True when `part` occurs in this text (byte for byte in UTF-8; an empty `part` occurs everywhere).
    public func includes(_ part: some StringProtocol) -> Bool {
        let haystack = Array(utf8), needle = Array(part.utf8)
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
