/// One Sparkplug B metric: a name (in births) or an alias (in data), a value and its timestamp.
public struct SparkplugMetric: Equatable, Sendable {
    /// The values the edge node publishes and the commands it reads (Sparkplug DataType numbers in ``dataType``).
    public enum Value: Equatable, Sendable {
        case int64(Int64)
        case double(Double)
        case boolean(Bool)
        case string(String)
        /// `is_null`: the value is unknown (a feature without a valid sample, a link that is down).
        case null(DataType)

        /// The Sparkplug data type.
        public var dataType: DataType {
            switch self {
            case .int64: return .int64
            case .double: return .double
            case .boolean: return .boolean
            case .string: return .string
            case .null(let t): return t
            }
        }
    }

    /// Sparkplug B 3.0 DataType (the subset the agent uses; others decode as ``unsupported``).
    public enum DataType: UInt32, Sendable {
        case int8 = 1, int16 = 2, int32 = 3, int64 = 4, uint8 = 5, uint16 = 6, uint32 = 7, uint64 = 8
        case float = 9, double = 10, boolean = 11, string = 12, dateTime = 13, text = 14
        case unsupported = 0
    }

    public var name: String?
    public var alias: UInt64?
    /// Milliseconds since the Unix epoch.
    public var timestamp: UInt64?
    public var value: Value
    /// Replayed from the store-and-forward buffer.
    public var isHistorical = false

    public init(name: String? = nil, alias: UInt64? = nil, timestamp: UInt64? = nil, value: Value, isHistorical: Bool = false) {
        self.name = name
        self.alias = alias
        self.timestamp = timestamp
        self.value = value
        self.isHistorical = isHistorical
    }
}
