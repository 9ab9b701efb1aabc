import EventLoop
import Glibc
import Service
import Testing

@Suite struct SystemdNotifierTests {
    @Test func withoutNotifySocketEverySendDoesNothing() throws {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000"])
        #expect(!notifier.isEnabled)
        #expect(notifier.configurationProblem == nil)
        #expect(notifier.watchdogInterval == nil)
        #expect(try notifier.ready(status: "up") == false)
        #expect(try notifier.watchdog() == false)
    }

    @Test func readyAndStatusArriveInOneDatagramOnAPathSocket() throws {
        let listener = try NotifyListener()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.socketName])
        #expect(notifier.isEnabled)
        #expect(try notifier.ready(status: "running: 3 inputs, 2 outputs"))
        #expect(listener.received() == ["READY=1\nSTATUS=running: 3 inputs, 2 outputs\n"])
    }

    @Test func anAbstractSocketNamedWithAtIsReached() throws {
        let listener = try NotifyListener(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.socketName])
        try notifier.watchdog()
        try notifier.stopping(status: "safe state")
        #expect(listener.received() == ["WATCHDOG=1\n", "STOPPING=1\nSTATUS=safe state\n"])
    }

    @Test func aStatusWithNewlinesIsSentAsOneLine() throws {
        let listener = try NotifyListener()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.socketName])
        try notifier.status("peer pump-b down\nREADY=1")
        #expect(listener.received() == ["STATUS=peer pump-b down READY=1\n"])
    }

    @Test func reloadingCarriesTheMonotonicTimeInMicroseconds() throws {
        let listener = try NotifyListener()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.socketName])
        try notifier.reloading(at: Instant(nanoseconds: 12_345_678_999))
        try notifier.ready()
        #expect(listener.received() == ["RELOADING=1\nMONOTONIC_USEC=12345678\n", "READY=1\n"])
    }

    @Test func otherFieldsUseTheProtocolSpelling() {
        #expect(NotifyField.watchdogTrigger.line == "WATCHDOG=trigger")
        #expect(NotifyField.extendTimeout(.seconds(30)).line == "EXTEND_TIMEOUT_USEC=30000000")
        #expect(NotifyField.errno(5).line == "ERRNO=5")
    }

    @Test(arguments: [
        (["WATCHDOG_USEC": "10000000"], Duration.seconds(5)),
        (["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "4242"], Duration.seconds(5)),
        (["WATCHDOG_USEC": "3000"], Duration.microseconds(1500)),
    ])
    func theWatchdogIsPingedAtHalfItsPeriod(environment: [String: String], interval: Duration) throws {
        let listener = try NotifyListener()
        let notifier = SystemdNotifier(environment: environment.merging(["NOTIFY_SOCKET": listener.socketName]) { a, _ in a }, processID: 4242)
        #expect(notifier.watchdogInterval == interval)
        #expect(notifier.configurationProblem == nil)
    }

    @Test func aWatchdogMeantForAnotherProcessIsIgnored() throws {
        let listener = try NotifyListener()
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.socketName, "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"], processID: 4242)
        #expect(notifier.isEnabled)
        #expect(notifier.watchdogTimeout == nil)
        #expect(notifier.watchdogInterval == nil)
    }

    @Test(arguments: ["0", "-5", "ten", ""])
    func aBadWatchdogPeriodIsReportedAndIgnored(usec: String) {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": usec])
        #expect(notifier.watchdogInterval == nil)
        #expect(notifier.configurationProblem?.contains("WATCHDOG_USEC=\(usec) ignored") == true)
    }

    @Test(arguments: ["run/notify", "vsock:2:1234", "/" + String(repeating: "x", count: 120)])
    func anUnsupportedSocketNameDisablesNotificationWithAReason(name: String) throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name])
        #expect(!notifier.isEnabled)
        #expect(notifier.socketName == name)
        #expect(notifier.configurationProblem?.hasPrefix("NOTIFY_SOCKET=\(name) ignored") == true)
        #expect(try notifier.ready() == false)
    }

    @Test func aSocketThatIsGoneMakesSendThrowWithTheErrno() throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent-\(getpid())/notify"])
        #expect(notifier.isEnabled)
        #expect(throws: SystemError.self) { try notifier.ready() }
        do {
            try notifier.ready()
        } catch {
            #expect(error.code == ENOENT)
            #expect(error.operation.contains("NOTIFY_SOCKET=/nonexistent-"))
        }
    }
}
