// fieldagent-gpio-selftest: the libgpiod backend's own checks against a gpio-sim chip, run inside gpio-vm by
// `make test-hw` (Tests/Hardware/guest-gpio.sh). One line per check; exit status 1 when any check fails.
// usage: fieldagent-gpio-selftest --chip LABEL --lines N --sim SYSFS_DIR
import Glibc

var options: [String: String] = [:]
var args = CommandLine.arguments.dropFirst()
while let key = args.popFirst() {
    guard key.hasPrefix("--"), let value = args.popFirst() else { break }
    options[String(key.dropFirst(2))] = value
}
guard let label = options["chip"], let lines = options["lines"].flatMap({ Int($0) }), let dir = options["sim"] else {
    say("usage: fieldagent-gpio-selftest --chip LABEL --lines N --sim SYSFS_DIR (the folder mksim prints)")
    exit(2)
}
let runner = SelfTestRunner(prefix: "\(label): ")
do {
    try LibgpiodSelfTest(label: label, expectedLines: lines, sim: GPIOSim(directory: dir), runner: runner).run()
} catch {
    runner.check("open the chip") { throw error }
}
say("libgpiod self-test on \(label): \(runner.passed) passed, \(runner.failed) failed, \(runner.skipped) skipped")
exit(runner.failed == 0 ? 0 : 1)
