import Config
import EventLoop
import Modbus

extension SimulatedMachine {
    /// The loopback ports of `config`'s Modbus TCP devices (`tcp://127.0.0.1:PORT`): where the simulation and
    /// HIL scenarios put a simulated machine instead of a real one.
    public static func loopbackPorts(of config: AgentConfig) -> [UInt16] {
        config.modbus.compactMap { device in
            guard case .tcp(let host, let port) = device.endpoint, host == "127.0.0.1" || host == "localhost" else { return nil }
            return port
        }
    }

    /// Starts a machine on each loopback port of `config` (see ``loopbackPorts(of:)``); returns the last one
    /// (configs read one machine). The error names the agent and the port.
    public static func startForLoopbackDevices(of config: AgentConfig, loop: EventLoop, profile: MachineProfile, noise: Double = 0.25,
                                               logger: Logger) throws(AgentError) -> SimulatedMachine? {
        var started: SimulatedMachine?
        for port in loopbackPorts(of: config) {
            let machine = SimulatedMachine(loop: loop, profile: profile, port: port, noise: noise, seed: UInt64(port), logger: logger)
            do {
                try machine.start()
            } catch {
                throw AgentError("cannot start the simulated machine of \(config.name) on 127.0.0.1:\(port): \(error); is another simulation running?")
            }
            started = machine
        }
        return started
    }
}
