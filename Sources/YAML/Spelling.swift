/// "Did you mean …?" for names a user typed: the known name closest in spelling.
public enum Spelling {
    /// The entry of `known` closest to `word` (Levenshtein distance, case-insensitive), if it is close
    /// enough to be a typo: at most 2 edits, and fewer edits than `word` has characters.
    public static func closest(to word: String, among known: [String]) -> String? {
        candidates(for: word, among: known).first
    }

    /// Every entry of `known` as close to `word` as the closest one (in `known`'s order), for
    /// "did you mean rpi3, rpi4 or rpi5?"; empty when nothing is close enough (see ``closest(to:among:)``).
    public static func candidates(for word: String, among known: [String]) -> [String] {
        let w = Array(word.lowercased())
        var best: [String] = []
        var bestDistance = Int.max
        for name in known {
            let d = distance(w, Array(name.lowercased()))
            guard d <= 2, d < w.count, d <= bestDistance else { continue }
            if d < bestDistance { best = []; bestDistance = d }
            if !best.contains(name) { best.append(name) }
        }
        return best
    }

    /// `a`, `a or b`, `a, b or c`.
    public static func orList(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + words[words.count - 1]
    }

    /// `did you mean 'inputs'? ` (with the trailing space), or an empty string.
    public static func hint(for word: String, among known: [String]) -> String {
        closest(to: word, among: known).map { "did you mean '\($0)'? " } ?? ""
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
