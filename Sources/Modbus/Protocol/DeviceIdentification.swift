/// What a Modbus server says about itself through FC 43 / MEI 14 (Read Device Identification).
///
/// Objects 0x00-0x02 are the mandatory *basic* category (VendorName, ProductCode, MajorMinorRevision);
/// 0x03-0x06 the *regular* one (VendorUrl, ProductName, ModelName, UserApplicationName). Values are ASCII bytes.
/// The server answers from ``answer(readCode:objectId:into:)``; the client decodes with ``DeviceIdentificationAnswer``.
public struct DeviceIdentification: Sendable, Equatable {
    /// The objects served, sorted by id, each at most 245 bytes (longer values are cut when the identity is built).
    public private(set) var objects: [(id: UInt8, value: [UInt8])]

    /// The MEI type of Read Device Identification, the byte after function code 43.
    public static let meiType: UInt8 = 0x0E
    /// The largest response PDU (253 bytes), which decides when an answer says "more follows".
    public static let maxResponsePDU = 253

    /// An identity from object ids to ASCII strings; ids above 0x06 are ignored (we serve no extended objects).
    public init(_ values: [UInt8: String]) {
        objects = values.filter { $0.key <= 0x06 }.sorted { $0.key < $1.key }
            .map { (id: $0.key, value: Array($0.value.utf8.prefix(245))) }
    }

    /// The identity FieldAgent serves: vendor "FieldAgent", product code "fieldagent", `revision`, and the agent's
    /// name as ProductName and ModelName.
    public static func fieldAgent(name: String, revision: String) -> DeviceIdentification {
        DeviceIdentification([0x00: "FieldAgent", 0x01: "fieldagent", 0x02: revision,
                              0x03: "https://fieldagent.invalid", 0x04: "FieldAgent", 0x05: name])
    }

    public static func == (a: DeviceIdentification, b: DeviceIdentification) -> Bool {
        a.objects.elementsEqual(b.objects) { $0.id == $1.id && $0.value == $1.value }
    }

    /// The conformity level byte: 0x01 basic only, 0x02 with regular objects, with bit 7 set (individual access).
    public var conformityLevel: UInt8 { objects.contains { $0.id >= 0x03 } ? 0x82 : 0x81 }

    /// Appends the response PDU to a request with `readCode` (1 basic, 2 regular, 3 extended, 4 one object) starting
    /// at `objectId`, or returns the exception to answer: 03 for a bad read code, 02 for an object id not served.
    public func answer(readCode: UInt8, objectId: UInt8, into out: inout [UInt8]) -> ModbusExceptionCode? {
        let last: UInt8
        switch readCode {
        case 1: last = 0x02
        case 2, 3: last = 0x06
        case 4: last = objectId
        default: return .illegalDataValue
        }
        guard let first = objects.firstIndex(where: { $0.id == objectId }) else {
            // A stream access to an unknown start restarts at the first object (spec 6.21); one object must exist.
            if readCode == 4 || objects.isEmpty { return .illegalDataAddress }
            return answer(readCode: readCode, objectId: objects[0].id, into: &out)
        }
        let start = out.count
        out += [FunctionCode.encapsulatedInterface.rawValue, Self.meiType, readCode, conformityLevel, 0x00, 0x00, 0x00]
        var count: UInt8 = 0
        var index = first
        while index < objects.count, objects[index].id <= last {
            let object = objects[index]
            if out.count - start + 2 + object.value.count > Self.maxResponsePDU {
                out[start + 4] = 0xFF  // more follows
                out[start + 5] = object.id  // next object id
                break
            }
            out.append(object.id)
            out.append(UInt8(object.value.count))
            out += object.value
            count += 1
            index += 1
        }
        out[start + 6] = count
        return nil
    }
}
