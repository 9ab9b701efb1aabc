import CommandLineTool
import Agent
import EventLoop
import Glibc

/// `fieldagent dataset`: the simulated machine's run-to-failure windows as CSV, for `make train`.
enum DatasetCommand {
    static let command = Command(
        name: "dataset",
        summary: "Write the simulated machine's run-to-failure feature windows as CSV (training data for make train)",
        help: """
        USAGE: fieldagent dataset [--runs N] [--seed N] [--noise F] [--window N]
               fieldagent dataset --behaviour [--sources N] [--windows N] [--seed N] [--adversaries]

        Prints one CSV row per machine hour of N run-to-failure trajectories of the simulated machine (the
        generator behind 'fieldagent machine'): each run stays healthy for 40…120 h, then wears linearly from
        severity 0 to 1 (fault) over 150…250 h (per run, from --seed). A row is one feature window of --window
        sensor updates reduced as Examples/line-a.yaml does (mean, peak or last), so the features are what the
        agent computes: run, hour, severity, rul_h (true hours until fault), then the twelve model features.
        The same options give the same bytes.

        OPTIONS:
          --runs N      trajectories (default 40)
          --seed N      seed (default 1)
          --noise F     sensor noise as a fraction of the class std (default 0.25, as in the simulation)
          --window N    sensor updates per window (default 10: 2 s of 200 ms polls)

        With --behaviour: per-source behaviour windows of the agent's Modbus server (the security: features,
        computed by the agent's own code) from the simulation's normal M2M traffic: peers polling, an operator
        panel, an allowed writer; with --adversaries, a scanner, a write spammer, a replaying writer, a peer whose
        rate jumps and a slowloris instead. Columns: source, kind, window_s, then the eight features.
          --sources N   sources per kind (default 100)
          --windows N   windows per source after 30 windows of learning (default 40)

        EXAMPLES:
          fieldagent dataset --runs 2 | head
          fieldagent dataset --runs 60 --seed 7 > /tmp/wear.csv
          fieldagent dataset --behaviour --sources 10 --adversaries | head
        """,
        run: { args in
            if args.flag("--behaviour") { return try behaviour(&args) }
            let runs = try args.option("--runs", expecting: "a number 1…100000") { Int($0).flatMap { (1...100_000).contains($0) ? $0 : nil } } ?? 40
            let seed = try args.option("--seed", expecting: "a whole number ≥ 0") { UInt64($0) } ?? 1
            let noise = try args.option("--noise", expecting: "a fraction 0…10") { Double($0).flatMap { (0...10).contains($0) ? $0 : nil } } ?? 0.25
            let window = try args.option("--window", expecting: "a number 1…1000") { Int($0).flatMap { (1...1000).contains($0) ? $0 : nil } } ?? 10
            try args.finish()
            let dataset = WearDataset(runs: runs, seed: seed, noise: noise, samplesPerWindow: window)
            var out = ChunkedOutput("run,hour,severity,rul_h," + SimulatedMachine.features.map(\.name).joined(separator: ","))
            dataset.forEachWindow { w in
                out.row("\(w.run),\(w.hour),\(formatFixed(w.severity, digits: 5)),\(Int(w.remainingLifeHours))", w.features)
            }
            out.flush()
            return 0
        })

    /// `--behaviour`: the security: features of simulated M2M sources as CSV.
    static func behaviour(_ args: inout Arguments) throws -> Int32 {
        let sources = try args.option("--sources", expecting: "a number 1…10000") { Int($0).flatMap { (1...10_000).contains($0) ? $0 : nil } } ?? 100
        let windows = try args.option("--windows", expecting: "a number 1…10000") { Int($0).flatMap { (1...10_000).contains($0) ? $0 : nil } } ?? 40
        let seed = try args.option("--seed", expecting: "a whole number ≥ 0") { UInt64($0) } ?? 1
        let adversaries = args.flag("--adversaries")
        try args.finish()
        let dataset = BehaviourDataset(seed: seed, sourcesPerKind: sources, windows: windows,
                                       kinds: adversaries ? BehaviourDataset.Kind.adversaries : BehaviourDataset.Kind.normal)
        var out = ChunkedOutput("source,kind,window_s," + SourceBehaviour.featureNames.joined(separator: ","))
        dataset.forEachWindow { w in out.row("\(w.source),\(w.kind.rawValue),\(Int(w.windowSeconds))", w.features) }
        out.flush()
        return 0
    }
}

/// CSV lines to standard output, written in chunks of about 60 KB (a dataset can be many megabytes).
private struct ChunkedOutput {
    private var text: String

    init(_ header: String) { text = header + "\n" }

    /// One line: `leading` columns, then every value.
    mutating func row<Values: Sequence>(_ leading: String, _ values: Values) where Values.Element: CustomStringConvertible {
        text += leading
        for v in values { text += "," + v.description }
        text += "\n"
        if text.utf8.count > 60_000 { flush() }
    }

    mutating func flush() {
        writeStandardOutput(text)
        text = ""
    }
}
