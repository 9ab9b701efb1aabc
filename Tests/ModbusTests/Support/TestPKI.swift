import Glibc
import TLS

/// The plant PKI the TLS tests use, made once per test run into a private temp folder with ``PlantPKI``
/// (the code behind `fieldagent pki`): the agent's server certificate for 127.0.0.1 and localhost, clients
/// with one role, none, two; an expired one; one revoked by the CRL; and a second CA nobody trusts.
enum TestPKI {
    struct Made: @unchecked Sendable {
        let pki: PlantPKI
        let rogue: PlantPKI
    }

    static let made: Made = {
        let dir = TestEnvironment.temporaryDirectory()
        let pki = PlantPKI(directory: dir + "/plant")
        let rogue = PlantPKI(directory: dir + "/rogue")
        do {
            try pki.makeCA()
            try pki.issue("agent", roles: ["agent"], hosts: ["127.0.0.1", "localhost"])
            try pki.issue("operator", roles: ["operator"])
            try pki.issue("viewer", roles: ["viewer"])
            try pki.issue("norole", roles: [])
            try pki.issue("tworoles", roles: ["operator", "viewer"])
            try pki.issue("expired", roles: ["operator"], hosts: ["127.0.0.1"], startDay: -30, days: 10)
            try pki.issue("revoked", roles: ["operator"], hosts: ["127.0.0.1"])
            try pki.issue("elsewhere", roles: ["agent"], hosts: ["192.0.2.99"])
            try pki.revoke(["revoked"])
            try rogue.makeCA(commonName: "Someone else's CA")
            try rogue.issue("operator", roles: ["operator"], hosts: ["127.0.0.1"])
        } catch {
            fatalError("test PKI: \(error)")
        }
        return Made(pki: pki, rogue: rogue)
    }()

    static var pki: PlantPKI { made.pki }
    static var rogue: PlantPKI { made.rogue }

}
