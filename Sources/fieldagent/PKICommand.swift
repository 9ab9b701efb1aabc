import CommandLineTool
import EventLoop
import Glibc
import TLS

/// `fieldagent pki`: a small plant's PKI for Modbus/TCP Security, without typing openssl commands.
enum PKICommand {
    static let command = Command(
        name: "pki",
        summary: "Make a plant CA and certificates with Modbus roles (Modbus/TCP Security)",
        help: """
        USAGE: fieldagent pki init   [--dir DIR] [--days N] [--name TEXT]
               fieldagent pki issue  NAME [--role ROLE] [--host HOST]... [--days N] [--dir DIR]
               fieldagent pki revoke NAME... [--dir DIR] [--days N]
               fieldagent pki show   FILE

        Makes what Modbus/TCP Security needs in DIR (default ./pki): a CA (ca.crt, ca.key), then one
        certificate and key per agent, operator station or SCADA (NAME.crt, NAME.key), carrying its Modbus
        role (certificate extension 1.3.6.1.4.1.50316.802.1, a UTF8String) and the host names or IP
        addresses it serves on (an agent's certificate must name what its peers connect to). P-256 keys,
        SHA-256 signatures; keys are written with mode 0600. Keep ca.key off the plant network.

        init makes the CA (default 3650 days). issue signs a certificate (default 825 days) for server and
        client use; --role may be repeated only to make a test certificate with several roles (servers
        give it the empty role). revoke writes crl.pem revoking NAME's certificates: give it to the agents
        as server: tls: crl: and send them SIGHUP. show prints a certificate's expiry.

        EXAMPLES:
          fieldagent pki init --dir /root/plant-pki
          fieldagent pki issue pump-a --role agent --host 10.0.0.11 --host pump-a.plant --dir /root/plant-pki
          fieldagent pki issue hmi-1 --role operator --dir /root/plant-pki
          fieldagent pki revoke hmi-1 --dir /root/plant-pki
        """,
        run: { args in
            guard let verb = args.positional() else { throw UsageError("fieldagent pki: say init, issue, revoke or show (see --help)") }
            var sub = Arguments(args.remaining, command: "fieldagent pki \(verb)")
            defer { args = sub }
            let dir = try sub.option("--dir") ?? "pki"
            let pki = PlantPKI(directory: dir)
            do {
                switch verb {
                case "init":
                    let days = try sub.option("--days", expecting: "days 1…36500") { Int($0).flatMap { (1...36500).contains($0) ? $0 : nil } } ?? 3650
                    let name = try sub.option("--name") ?? "FieldAgent plant CA"
                    try sub.finish()
                    guard access(pki.caKey, F_OK) != 0 else { throw UsageError("\(sub.command): \(pki.caKey) exists; refusing to replace the plant's CA") }
                    try pki.makeCA(commonName: name, days: days)
                    print("CA: \(pki.caCertificate) (key \(pki.caKey), mode 0600), valid \(days) days")
                case "issue":
                    let name = try sub.requiredPositional("NAME (the agent's or station's name)")
                    let roles = try sub.options("--role")
                    let hosts = try sub.options("--host")
                    let days = try sub.option("--days", expecting: "days 1…3650") { Int($0).flatMap { (1...3650).contains($0) ? $0 : nil } } ?? 825
                    try sub.finish()
                    try pki.issue(name, roles: roles, hosts: hosts, days: days)
                    print("\(pki.certificate(name)) (key \(pki.key(name)), mode 0600): role \(roles.isEmpty ? "none" : roles.joined(separator: " + ")), "
                          + "hosts \(hosts.isEmpty ? "none (client only)" : hosts.joined(separator: ", ")), valid \(days) days")
                case "revoke":
                    var names: [String] = []
                    while let n = sub.positional() { names.append(n) }
                    let days = try sub.option("--days", expecting: "days 1…3650") { Int($0).flatMap { (1...3650).contains($0) ? $0 : nil } } ?? 30
                    try sub.finish()
                    guard !names.isEmpty else { throw UsageError("\(sub.command): name the certificates to revoke") }
                    try pki.revoke(names, days: days)
                    print("\(pki.crl): revokes \(names.joined(separator: ", ")); valid \(days) days: reissue it before then")
                case "show":
                    let file = try sub.requiredPositional("FILE (a PEM certificate)")
                    try sub.finish()
                    let t = try PlantPKI.notAfter(certificate: file)
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    let days = (t - Int64(now.tv_sec)) / 86_400
                    print("\(file): expires at \(t) (Unix time), \(days < 0 ? "expired \(-days) days ago" : "in \(days) days")")
                default:
                    throw UsageError("fieldagent pki: unknown verb '\(verb)'; say init, issue, revoke or show")
                }
            } catch let error as TLSError {
                StandardError.write("\(sub.command): \(error)\n")
                return 1
            }
            return 0
        })
}
