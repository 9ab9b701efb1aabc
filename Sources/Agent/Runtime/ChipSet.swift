import EventLoop
import GPIO

/// The GPIO chips an agent uses, opened once by label: the real ones through libgpiod, or mock chips.
public final class ChipSet {
    /// How chips are obtained.
    public enum Backend: String, Sendable {
        /// The Linux GPIO character device through libgpiod.
        case libgpiod
        /// FieldAgent's in-process mock chip.
        case mock
    }

    public let backend: Backend
    private let loop: EventLoop
    private var chips: [String: GPIOChip] = [:]
    /// Line names per chip label for mock chips (from the board map), so `GPIO17` names line 17.
    private let mockLineNames: (String) -> [String]

    public init(backend: Backend, loop: EventLoop, mockLineNames: @escaping (String) -> [String]) {
        self.backend = backend
        self.loop = loop
        self.mockLineNames = mockLineNames
    }

    /// The chip labelled `label`, opened on first use.
    public func chip(label: String) throws(GPIOError) -> GPIOChip {
        if let chip = chips[label] { return chip }
        let chip: GPIOChip
        switch backend {
        case .libgpiod: chip = try LibgpiodChip(label: label, loop: loop)
        case .mock: chip = MockChip(label: label, lineNames: mockLineNames(label), loop: loop)
        }
        chips[label] = chip
        return chip
    }

    /// Every mock chip opened so far (for the control socket and scenarios).
    public var mockChips: [MockChip] { chips.values.compactMap { $0 as? MockChip } }
}
