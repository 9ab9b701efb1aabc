/// Sees every connection and request a ``ModbusTCPServer`` handles, on the loop: the agent's per-source behaviour
/// features and quarantine hang here. Keep it cheap: it runs once per request.
public protocol ModbusRequestObserver: AnyObject {
    /// A client connected; false closes it at once (a quarantined source).
    func connected(_ client: ModbusClientInfo) -> Bool
    /// A client's connection closed, with how many requests it completed.
    func disconnected(_ client: ModbusClientInfo, requests: Int)
    /// One request answered: its PDU (function code first) and what the server did.
    func answered(_ client: ModbusClientInfo, unit: UInt8, pdu: ArraySlice<UInt8>, action: HandlerAction)
}
