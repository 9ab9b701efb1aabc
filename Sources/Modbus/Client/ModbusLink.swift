import EventLoop

/// The wire under a ``ModbusClient``: a TCP connection (``TCPClientLink``) or a serial line (``SerialLink``).
///
/// A link frames one request at a time and hands back the response PDU for it; the client owns timing,
/// retries and the queue. Every callback runs on the loop, never inside the call that caused it.
protocol ModbusLink: AnyObject {
    /// True between a successful ``open(timeout:_:)`` and ``close()`` or a break.
    var isOpen: Bool { get }
    /// Quiet time the line needs between an answer and the next request (the RTU inter-frame delay).
    var turnaround: Duration { get }
    /// Starts opening; `completion` runs once on the loop, with nil on success.
    func open(timeout: Duration, _ completion: @escaping (ModbusError?) -> Void)
    /// Sends one request frame; nil when written (or queued for the socket), else why not.
    func send(unit: UInt8, pdu: [UInt8], function: FunctionCode) -> ModbusError?
    /// Extra time to allow, beyond the response timeout, for the request and answer to cross the wire.
    func wireTime(requestBytes: Int) -> Duration
    /// Forgets the request in flight (after a timeout): a late answer is dropped.
    func abandon()
    /// Closes the connection or port (no callbacks after this).
    func close()
    /// Receives each response frame answering the request in flight: unit and PDU.
    var onResponse: (UInt8, ArraySlice<UInt8>) -> Void { get set }
    /// Receives the reason when the link breaks (peer closed, I/O error, malformed framing).
    var onBroken: (String) -> Void { get set }
    /// Why the link cannot even try to open now (a host name that has not resolved), or nil.
    var problem: String? { get }
    /// True while opening must wait (a host name being looked up); ``onLookupEnded`` says when to try again.
    var waitingForAddress: Bool { get }
    /// Called when waiting for an address ended, one way or the other.
    var onLookupEnded: () -> Void { get set }
    /// Closes for good: also stops background work (name lookups). The client is being closed.
    func shutdown()
}
