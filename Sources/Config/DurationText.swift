import YAML

/// A duration as a config file writes it (`10s`, `250ms`, `1m`): for logs and messages about config values.
public func durationText(_ d: Duration) -> String { YAMLScalar.format(d) }
