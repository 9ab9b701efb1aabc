import CMosquittoLoader
import CTLSShim
import Config
import EventLoop
import Glibc

/// One MQTT connection to one broker, driven by libmosquitto on the agent's loop without its thread: the loop
/// watches the client's socket and calls `mosquitto_loop_read`/`_write` when it is ready, and `_misc`
/// (keepalive) from a timer. A connection is used once: after ``onClosed`` a new one is made (so libmosquitto
/// never re-sends an old session's messages with stale Sparkplug sequence numbers).
///
/// What may block, and why it does not: the host is always a numeric address (names are resolved off the loop by
/// the caller), so `mosquitto_connect_async` only creates a non-blocking socket and starts `connect`; the TLS
/// handshake then advances in `loop_read`/`loop_write`. Loading the CA and client certificate reads small files.
/// The broker's certificate is checked against the URL's host name (``Options/tlsHost``), not that address.
public final class MQTTConnection {
    /// Who to connect to and how.
    public struct Options {
        public var clientID: String
        public var protocolVersion: UplinkConfig.ProtocolVersion
        public var keepalive: Duration
        public var tls: UplinkConfig.TLS?
        /// The name the broker's certificate must carry: the URL's host (a DNS name or an address), not the
        /// resolved address connected to. Nil: the address.
        public var tlsHost: String?
        public var username: String?
        public var password: String?
        /// The Will (`NDEATH`): topic, payload, QoS 1, not retained.
        public var will: (topic: String, payload: [UInt8])?
        /// The longest the broker may take to accept (TCP, TLS and CONNACK).
        public var connectTimeout: Duration = .seconds(10)

        public init(clientID: String, protocolVersion: UplinkConfig.ProtocolVersion, keepalive: Duration, tls: UplinkConfig.TLS?,
                    username: String?, password: String?, will: (topic: String, payload: [UInt8])?) {
            self.clientID = clientID
            self.protocolVersion = protocolVersion
            self.keepalive = keepalive
            self.tls = tls
            self.username = username
            self.password = password
            self.will = will
        }
    }

    /// Called once the broker accepted the connection (CONNACK 0).
    public var onConnected: () -> Void = {}
    /// Called once when the connection ends or could not be made, with the reason; the socket is closed then.
    public var onClosed: (String) -> Void = { _ in }
    /// Called for each message received on a subscription.
    public var onMessage: (_ topic: String, _ payload: [UInt8]) -> Void = { _, _ in }
    /// Called when a QoS 1 publish was acknowledged (or a QoS 0 one was written), with its message id.
    public var onPublished: (Int32) -> Void = { _ in }

    /// The broker as configured (for logs and status).
    public let broker: String
    private let loop: any EventLoop
    private let logger: Logger
    /// libmosquitto's functions (loaded by the first connection of the process); nil until ``start``.
    private var mq: UnsafePointer<fa_mosquitto_functions>?
    private var mosq: OpaquePointer?
    /// Our TLS context (lent to libmosquitto, freed after the handle).
    private var tlsContext: OpaquePointer?
    private var fd: Int32 = -1
    private var watchedEvents: IOEvents = []
    private var miscTimer: TimerID?
    private var connectTimer: TimerID?
    private var closed = false
    /// True while inside a libmosquitto call that may call back (the handle must not be destroyed then).
    private var dispatching = false
    public private(set) var isConnected = false

    public init(loop: any EventLoop, logger: Logger, broker: String) {
        self.loop = loop
        self.logger = logger
        self.broker = broker
    }

    deinit {
        if let mq, let mosq { mq.pointee.mosquitto_destroy(mosq) }
        if let tlsContext { fa_mqtt_tls_free(tlsContext) }
    }

    /// Starts connecting to `address` (numeric) at `port`; the outcome comes through ``onConnected`` or ``onClosed``.
    public func start(address: String, port: UInt16, options: Options) {
        var loadError = [CChar](repeating: 0, count: 512)
        guard let mq = fa_mosquitto_load(&loadError, loadError.count) else {
            return fail(String(decoding: loadError.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.mq = mq
        let api = mq.pointee
        // The object pointer is this connection; libmosquitto calls back only from inside our calls on the loop's
        // thread, and the handle is destroyed (in close) before this object goes away.
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard let m = api.mosquitto_new(options.clientID, true, me) else { return fail("mosquitto_new: out of memory") }
        mosq = m
        let version = options.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        _ = api.mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, Int32(version))
        _ = api.mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1)
        if let will = options.will {
            let rc = will.payload.withUnsafeBytes { b in
                api.mosquitto_will_set(m, will.topic, Int32(b.count), b.baseAddress, 1, false)
            }
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { return fail("will: \(Self.describe(rc))") }
        }
        if let user = options.username {
            let rc = api.mosquitto_username_pw_set(m, user, options.password)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { return fail("username: \(Self.describe(rc))") }
        }
        if let tls = options.tls {
            // libmosquitto would check the certificate against `address`; our context checks the URL's host.
            var err = [CChar](repeating: 0, count: 512)
            guard let t = fa_mqtt_tls_new(tls.ca, tls.cert, tls.key, options.tlsHost ?? address, &err, err.count) else {
                return fail("TLS: " + String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            tlsContext = t
            _ = api.mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0)
            let rc = api.mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, fa_mqtt_tls_ssl_ctx(t))
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { return fail("TLS context: \(Self.describe(rc))") }
        }
        api.mosquitto_connect_callback_set(m) { _, obj, rc in
            guard let obj else { return }
            Unmanaged<MQTTConnection>.fromOpaque(obj).takeUnretainedValue().connected(rc)
        }
        api.mosquitto_disconnect_callback_set(m) { _, obj, rc in
            guard let obj else { return }
            Unmanaged<MQTTConnection>.fromOpaque(obj).takeUnretainedValue().disconnected(rc)
        }
        api.mosquitto_publish_callback_set(m) { _, obj, mid in
            guard let obj else { return }
            Unmanaged<MQTTConnection>.fromOpaque(obj).takeUnretainedValue().onPublished(mid)
        }
        api.mosquitto_message_callback_set(m) { _, obj, message in
            guard let obj, let message else { return }
            let c = Unmanaged<MQTTConnection>.fromOpaque(obj).takeUnretainedValue()
            // The message and its buffers are valid for the duration of this callback; both are copied out.
            let topic = message.pointee.topic.map { String(cString: $0) } ?? ""
            let count = Int(max(0, message.pointee.payloadlen))
            var payload = [UInt8](repeating: 0, count: count)
            if count > 0, let p = message.pointee.payload { payload.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: count)) } }
            c.onMessage(topic, payload)
        }
        let keepalive = Int32(clamping: max(5, options.keepalive.nanoseconds / 1_000_000_000))
        let rc = api.mosquitto_connect_async(m, address, Int32(port), keepalive)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { return fail("connect: \(Self.describe(rc))") }
        fd = api.mosquitto_socket(m)
        guard fd >= 0 else { return fail("connect: no socket") }
        do {
            watchedEvents = [.readable, .writable]
            try loop.watch(fd, for: watchedEvents) { [unowned self] events in self.ready(events) }
        } catch {
            fd = -1
            return fail("watch: \(error)")
        }
        let timeout = options.connectTimeout
        connectTimer = loop.schedule(after: timeout) { [weak self] in
            guard let self, !self.isConnected else { return }
            self.fail("the broker did not accept within \(timeout)")
        }
        scheduleMisc()
    }

    /// Publishes; returns the message id, or nil with the connection closing (the caller keeps the data).
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: Int32, retain: Bool = false) -> Int32? {
        guard let m = mosq, let api = mq?.pointee, !closed else { return nil }
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { b in api.mosquitto_publish(m, &mid, topic, Int32(b.count), b.baseAddress, qos, retain) }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            fail("publish: \(Self.describe(rc))")
            return nil
        }
        updateWatch()
        return mid
    }

    /// Subscribes to `topic` (QoS 1).
    public func subscribe(_ topic: String) {
        guard let m = mosq, let api = mq?.pointee, !closed else { return }
        let rc = api.mosquitto_subscribe(m, nil, topic, 1)
        if rc != MOSQ_ERR_SUCCESS.rawValue { fail("subscribe \(topic): \(Self.describe(rc))") } else { updateWatch() }
    }

    /// Whether messages are still queued in libmosquitto for the socket.
    public var wantsWrite: Bool {
        guard let m = mosq, let api = mq?.pointee else { return false }
        return api.mosquitto_want_write(m)
    }

    /// Ends the connection without the Will (a clean DISCONNECT when connected); ``onClosed`` is not called.
    public func close() {
        guard !closed else { return }
        if let m = mosq, let api = mq?.pointee, isConnected {
            _ = api.mosquitto_disconnect(m)
            _ = api.mosquitto_loop_write(m, 1)
        }
        teardown()
    }

    /// Ends the connection abruptly (no DISCONNECT: the broker publishes the Will).
    public func abort(_ reason: String) { fail(reason) }

    private func ready(_ events: IOEvents) {
        guard let m = mosq, let api = mq?.pointee, !closed else { return }
        if !events.intersection([.writable, .hangup]).isEmpty || api.mosquitto_want_write(m) {
            dispatching = true
            let rc = api.mosquitto_loop_write(m, 16)
            dispatching = false
            if rc != MOSQ_ERR_SUCCESS.rawValue { return fail(reason(rc)) }
        }
        if closed { return }
        if !events.intersection([.readable, .hangup]).isEmpty {
            dispatching = true
            let rc = api.mosquitto_loop_read(m, 16)
            dispatching = false
            if closed { return }
            if rc != MOSQ_ERR_SUCCESS.rawValue { return fail(reason(rc)) }
        }
        updateWatch()
    }

    private func updateWatch() {
        guard let m = mosq, let api = mq?.pointee, !closed, fd >= 0 else { return }
        let want: IOEvents = (api.mosquitto_want_write(m) || !isConnected) ? [.readable, .writable] : [.readable]
        if want != watchedEvents {
            watchedEvents = want
            try? loop.updateWatch(fd, for: want)
        }
    }

    private func scheduleMisc() {
        miscTimer = loop.schedule(after: .seconds(1)) { [weak self] in
            guard let self, let m = self.mosq, let api = self.mq?.pointee, !self.closed else { return }
            self.dispatching = true
            let rc = api.mosquitto_loop_misc(m)
            self.dispatching = false
            if self.closed { return }
            if rc != MOSQ_ERR_SUCCESS.rawValue && rc != MOSQ_ERR_NO_CONN.rawValue { return self.fail(Self.describe(rc)) }
            if api.mosquitto_socket(m) < 0 { return self.fail("keepalive: the broker stopped answering") }
            self.updateWatch()
            self.scheduleMisc()
        }
    }

    private func connected(_ rc: Int32) {
        guard rc == 0 else {
            let reason = Self.connackReason(rc)
            loop.schedule(after: .zero) { [weak self] in self?.fail("refused: \(reason)") }
            return
        }
        isConnected = true
        if let t = connectTimer { loop.cancel(t) }
        connectTimer = nil
        onConnected()
    }

    private func disconnected(_ rc: Int32) {
        // Inside loop_read/loop_misc; the caller sees the error code and closes.
        if !closed { loop.schedule(after: .zero) { [weak self] in guard let self else { return }; self.fail(rc == 0 ? "disconnected" : self.reason(rc)) } }
    }

    private func fail(_ reason: String) {
        guard !closed else { return }
        teardown()
        onClosed(reason)
    }

    private func teardown() {
        closed = true
        isConnected = false
        if dispatching {
            // Called back from inside libmosquitto: destroy the handle once that call has returned.
            loop.schedule(after: .zero) { [self] in self.dispatching = false; self.teardown() }
            return
        }
        if fd >= 0 { loop.unwatch(fd) }
        fd = -1
        if let t = miscTimer { loop.cancel(t) }
        if let t = connectTimer { loop.cancel(t) }
        miscTimer = nil
        connectTimer = nil
        if let m = mosq, let api = mq?.pointee { api.mosquitto_destroy(m) }
        mosq = nil
        if let t = tlsContext { fa_mqtt_tls_free(t) }
        tlsContext = nil
    }

    /// A failed read or write: the TLS verification's verdict when there is one, else libmosquitto's.
    private func reason(_ rc: Int32) -> String {
        if let t = tlsContext, let r = fa_mqtt_tls_refusal(t), r.pointee != 0 { return String(cString: r) }
        return Self.describe(rc)
    }

    /// libmosquitto's words for an error code (it is loaded by then: codes come from its calls).
    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return SystemError.message(for: errno) }
        guard let api = fa_mosquitto_load(nil, 0) else { return "libmosquitto error \(rc)" }
        return api.pointee.mosquitto_strerror(rc).map { String(cString: $0) } ?? "libmosquitto error \(rc)"
    }

    /// libmosquitto's words for a CONNACK refusal.
    static func connackReason(_ rc: Int32) -> String {
        guard let api = fa_mosquitto_load(nil, 0) else { return "CONNACK code \(rc)" }
        return api.pointee.mosquitto_connack_string(rc).map { String(cString: $0) } ?? "CONNACK code \(rc)"
    }
}
