import CLinux

/// What a watched file descriptor is ready for.
public struct IOEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data to read (or a connection to accept).
    public static let readable = IOEvents(rawValue: EPOLLIN.rawValue)
    /// Room to write.
    public static let writable = IOEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer closed its end, or the descriptor is in error; reported whether asked for or not.
    public static let hangup = IOEvents(rawValue: EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue)
    /// Urgent data; the GPIO v1 event descriptors signal edges this way too.
    public static let priority = IOEvents(rawValue: EPOLLPRI.rawValue)
}
