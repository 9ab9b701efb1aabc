import EventLoop

/// A GPIO chip: the seam between the agent and its two real backends, ``LibgpiodChip`` (the Linux GPIO
/// character device) and ``MockChip`` (FieldAgent's in-process chip for simulation and HIL tests).
///
/// Values are logical: with `activeLow` the line's low level reads as `true`. Edge events are delivered on
/// the event loop; callers never see file descriptors.
public protocol GPIOChip: AnyObject {
    /// The chip's label, for example `pinctrl-bcm2711` or `fieldagent-mock`.
    var label: String { get }
    /// The kernel's name (`gpiochip0`), or `mock`.
    var name: String { get }
    /// Number of lines.
    var lineCount: Int { get }
    /// Whether ``InputSettings/debounce`` is honoured (the kernel debounces: libgpiod 2.x); otherwise the caller
    /// debounces in software.
    var kernelDebounce: Bool { get }

    /// Requests `line` as an input. With edge detection, `onEdge` runs on the loop for every edge.
    func requestInput(line: Int, settings: InputSettings, consumer: String,
                      onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLine

    /// Requests `line` as an output driven to `initial` at once.
    func requestOutput(line: Int, activeLow: Bool, initial: Bool, consumer: String) throws(GPIOError) -> GPIOOutputLine

    /// Requests several lines as inputs in one request, all with `settings`; either every line is granted or
    /// none is (a busy line fails the whole request). `onEdge` runs on the loop for every edge of any of them;
    /// ``EdgeEvent/line`` tells which.
    func requestInputs(lines: [Int], settings: InputSettings, consumer: String,
                       onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLines

    /// Requests several lines as outputs in one request, driven to `initial` (request order) at once; all or none.
    func requestOutputs(lines: [Int], activeLow: Bool, initial: GPIOLineValues, consumer: String) throws(GPIOError) -> GPIOOutputLines
}

/// A requested input line.
public protocol GPIOInputLine: AnyObject {
    /// The line offset on its chip.
    var line: Int { get }
    /// Reads the current logical value.
    func read() throws(GPIOError) -> Bool
    /// Gives the line back to the chip; the handle must not be used afterwards.
    func release()
}

/// A requested output line.
public protocol GPIOOutputLine: AnyObject {
    /// The line offset on its chip.
    var line: Int { get }
    /// The logical value last driven.
    var value: Bool { get }
    /// Drives the logical value.
    func write(_ value: Bool) throws(GPIOError)
    /// Reads the logical value back from the chip: what the kernel reports the line at, not what was asked
    /// (``value``). `fieldagent safe` verifies with it.
    func readBack() throws(GPIOError) -> Bool
    /// Gives the line back to the chip; the handle must not be used afterwards.
    func release()
}

/// Several input lines of one chip requested together and read together.
public protocol GPIOInputLines: AnyObject {
    /// The line offsets on their chip, in request order.
    var lines: [Int] { get }
    /// Reads every line's logical value, in request order, in one call.
    func read() throws(GPIOError) -> GPIOLineValues
    /// Gives every line back to the chip; the handle must not be used afterwards.
    func release()
}

/// Several output lines of one chip requested together and written together.
public protocol GPIOOutputLines: AnyObject {
    /// The line offsets on their chip, in request order.
    var lines: [Int] { get }
    /// The logical values last driven, in request order.
    var values: GPIOLineValues { get }
    /// Drives every line to its logical value in one call (`values.count` must equal `lines.count`).
    func write(_ values: GPIOLineValues) throws(GPIOError)
    /// Reads every line's logical value back from the chip, in request order, in one call.
    func readBack() throws(GPIOError) -> GPIOLineValues
    /// Gives every line back to the chip; the handle must not be used afterwards.
    func release()
}
