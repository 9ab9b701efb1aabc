import Config
import GPIO

extension Bias {
    /// The GPIO bias for a configured input.
    init(_ bias: InputConfig.Bias) {
        switch bias {
        case .asIs: self = .asIs
        case .disable: self = .disable
        case .pullUp: self = .pullUp
        case .pullDown: self = .pullDown
        }
    }
}

extension EdgeDetection {
    /// The GPIO edge detection for a configured input.
    init(_ edges: InputConfig.Edges) {
        switch edges {
        case .both: self = .both
        case .rising: self = .rising
        case .falling: self = .falling
        case .none: self = .none
        }
    }
}
