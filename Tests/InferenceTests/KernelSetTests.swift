import Inference
import Testing

/// A small deterministic generator (SplitMix64), so a failing case can be replayed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func int8s(_ n: Int) -> [Int8] { (0..<n).map { _ in Int8(truncatingIfNeeded: next()) } }
    /// A multiplier in [2^30, 2^31), as TFLM's QuantizeMultiplier gives.
    mutating func multiplier() -> Int32 { Int32(1 << 30) + Int32(next() % (1 << 30)) }
}

/// Runs `body` on the portable kernels and on every other kernel set this CPU has; returns each set's bytes.
func onEveryKernelSet(_ count: Int, _ body: (UnsafeMutablePointer<Int8>) -> Void) -> [(KernelSet, [Int8])] {
    let active = KernelSet.active
    defer { KernelSet.select(active) }
    return KernelSet.available.map { set in
        KernelSet.select(set)
        var out = [Int8](repeating: 0x55, count: count)
        out.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return (set, out)
    }
}

/// The first kernel set whose bytes differ from the portable kernels', with the first differing index.
func firstDifference(_ results: [(KernelSet, [Int8])]) -> String? {
    guard let reference = results.first?.1 else { return nil }
    for (set, bytes) in results.dropFirst() {
        if let i = bytes.indices.first(where: { bytes[$0] != reference[$0] }) {
            return "\(set): byte \(i) is \(bytes[i]), portable \(reference[i])"
        }
    }
    return nil
}

/// Every kernel set against the portable Swift kernels on random shapes, weights and quantization, beyond what the
/// reference models contain: depths that are not multiples of 4, 8 or 16, channel counts off the tile sizes,
/// padding, dilation, strides, depth multipliers, positive and negative shifts, clamped activations.
extension ReferenceModelTests {
    @Test func everyKernelSetMatchesThePortableConvolution() {
        var rng = SplitMix(state: 15)
        for round in 0..<120 {
            let kh = rng.int(1...4), kw = rng.int(1...4)
            // Every third round a depth of whole groups of 4 (the VNNI set's whole-convolution kernel), every fourth
            // more than 32 output channels.
            let inC = rng.int(0...2) == 0 ? 4 * rng.int(1...8) : rng.int(1...21)
            let outC = rng.int(0...3) == 0 ? rng.int(33...70) : rng.int(1...40)
            let thin = rng.int(0...3) == 0  // a width-1 input (1-D convolutions like the vibration model's)
            let inH = rng.int(1...9), inW = thin ? 1 : rng.int(1...9)
            let fw = thin ? 1 : kw
            let sh = rng.int(1...3), sw = rng.int(1...3), dh = rng.int(1...2), dw = thin ? 1 : rng.int(1...2)
            let padding: Window2D.Padding = rng.int(0...1) == 0 ? .same : .valid
            let outH = Window2D.outputSize(padding, input: inH, filter: kh, stride: sh, dilation: dh)
            let outW = Window2D.outputSize(padding, input: inW, filter: fw, stride: sw, dilation: dw)
            guard outH > 0, outW > 0 else { continue }
            let window = Window2D(
                batches: rng.int(1...2), inputHeight: inH, inputWidth: inW, inputDepth: inC, outputHeight: outH,
                outputWidth: outW, outputDepth: outC, filterHeight: kh, filterWidth: fw, strideHeight: sh, strideWidth: sw,
                dilationHeight: dh, dilationWidth: dw,
                padTop: Window2D.padding(stride: sh, dilation: dh, input: inH, filter: kh, output: outH),
                padLeft: Window2D.padding(stride: sw, dilation: dw, input: inW, filter: fw, output: outW))
            let depth = kh * fw * inC
            let weights = rng.int8s(outC * depth)
            let packed = PackedWeights.pack(weights, channels: outC, depth: depth)
            let sums = PackedWeights.sums(weights, channels: outC, depth: depth)
            let padded = PackedWeights.paddedChannels(outC)
            let bias = (0..<padded).map { _ in Int32(rng.int(-200_000...200_000)) }
            let multipliers = (0..<padded).map { _ in rng.multiplier() }
            let shifts = (0..<padded).map { _ in Int32(rng.int(-14...2)) }
            let input = rng.int8s(window.batches * inH * inW * inC)
            let zp = Int32(rng.int(-128...127)), outZP = Int32(rng.int(-128...127))
            let activation = ActivationRange(min: Int32(rng.int(-128...0)), max: Int32(rng.int(1...127)))
            let stride = (depth + 15) / 16 * 16
            var scratch = [Int8](repeating: 0, count: 4 * stride)
            let rows = rng.int(1...4)
            let results = onEveryKernelSet(window.batches * outH * outW * outC) { out in
                packed.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        multipliers.withUnsafeBufferPointer { m in
                            shifts.withUnsafeBufferPointer { s in
                                sums.withUnsafeBufferPointer { ws in
                                    scratch.withUnsafeMutableBufferPointer { sc in
                                        input.withUnsafeBufferPointer { i in
                                            // Valid: every buffer has the size the geometry asks for.
                                            Conv2D(
                                                window: window, weights: w.baseAddress!, bias: b.baseAddress!,
                                                multipliers: m.baseAddress!, shifts: s.baseAddress!, weightSums: ws.baseAddress!,
                                                inputZeroPoint: zp, outputZeroPoint: outZP, activation: activation,
                                                scratch: sc.baseAddress!, scratchRows: rows, scratchStride: stride
                                            ).run(input: i.baseAddress!, output: out)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let difference = firstDifference(results)
            #expect(difference == nil, "round \(round) \(window) rows \(rows): \(difference ?? "")")
        }
    }

    @Test func everyKernelSetMatchesThePortableFullyConnectedLayer() {
        var rng = SplitMix(state: 12)
        for round in 0..<150 {
            let batches = rng.int(1...6), depth = rng.int(1...80), units = rng.int(1...45)
            let weights = rng.int8s(units * depth)
            let packed = PackedWeights.pack(weights, channels: units, depth: depth)
            let sums = PackedWeights.sums(weights, channels: units, depth: depth)
            let padded = PackedWeights.paddedChannels(units)
            let bias = (0..<padded).map { _ in Int32(rng.int(-300_000...300_000)) }
            let multipliers = (0..<padded).map { _ in rng.multiplier() }
            let shifts = (0..<padded).map { _ in Int32(rng.int(-18...3)) }
            let input = rng.int8s(batches * depth)
            let outZP = Int32(rng.int(-128...127))
            let activation = ActivationRange(min: Int32(rng.int(-128...0)), max: 127)
            let results = onEveryKernelSet(batches * units) { out in
                packed.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        multipliers.withUnsafeBufferPointer { m in
                            shifts.withUnsafeBufferPointer { s in
                                sums.withUnsafeBufferPointer { ws in
                                    input.withUnsafeBufferPointer { i in
                                        FullyConnected(
                                            batches: batches, depth: depth, units: units, weights: w.baseAddress!,
                                            bias: b.baseAddress!, multipliers: m.baseAddress!, shifts: s.baseAddress!,
                                            weightSums: ws.baseAddress!, outputZeroPoint: outZP, activation: activation
                                        ).run(input: i.baseAddress!, output: out)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let difference = firstDifference(results)
            #expect(difference == nil, "round \(round) batches \(batches) depth \(depth) units \(units): \(difference ?? "")")
        }
    }

    @Test func everyKernelSetMatchesThePortableDepthwiseConvolution() {
        var rng = SplitMix(state: 9)
        for round in 0..<120 {
            let multiplier = rng.int(1...3), inC = rng.int(1...40), kh = rng.int(1...5), kw = rng.int(1...5)
            let inH = rng.int(1...9), inW = rng.int(1...9), sh = rng.int(1...2), sw = rng.int(1...2)
            let dh = rng.int(1...2), dw = rng.int(1...2)
            let padding: Window2D.Padding = rng.int(0...1) == 0 ? .same : .valid
            let outH = Window2D.outputSize(padding, input: inH, filter: kh, stride: sh, dilation: dh)
            let outW = Window2D.outputSize(padding, input: inW, filter: kw, stride: sw, dilation: dw)
            guard outH > 0, outW > 0 else { continue }
            let outC = inC * multiplier
            let window = Window2D(
                batches: rng.int(1...2), inputHeight: inH, inputWidth: inW, inputDepth: inC, outputHeight: outH,
                outputWidth: outW, outputDepth: outC, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw,
                dilationHeight: dh, dilationWidth: dw,
                padTop: Window2D.padding(stride: sh, dilation: dh, input: inH, filter: kh, output: outH),
                padLeft: Window2D.padding(stride: sw, dilation: dw, input: inW, filter: kw, output: outW))
            let weights = rng.int8s(kh * kw * outC)
            let bias = (0..<outC).map { _ in Int32(rng.int(-100_000...100_000)) }
            let multipliers = (0..<outC).map { _ in rng.multiplier() }
            let shifts = (0..<outC).map { _ in Int32(rng.int(-14...2)) }
            let input = rng.int8s(window.batches * inH * inW * inC)
            let zp = Int32(rng.int(-128...127)), outZP = Int32(rng.int(-128...127))
            let activation = ActivationRange(min: Int32(rng.int(-128...0)), max: Int32(rng.int(1...127)))
            let results = onEveryKernelSet(window.batches * outH * outW * outC) { out in
                weights.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        multipliers.withUnsafeBufferPointer { m in
                            shifts.withUnsafeBufferPointer { s in
                                input.withUnsafeBufferPointer { i in
                                    DepthwiseConv2D(
                                        window: window, depthMultiplier: multiplier, weights: w.baseAddress!,
                                        bias: b.baseAddress!, multipliers: m.baseAddress!, shifts: s.baseAddress!,
                                        inputZeroPoint: zp, outputZeroPoint: outZP, activation: activation
                                    ).run(input: i.baseAddress!, output: out)
                                }
                            }
                        }
                    }
                }
            }
            let difference = firstDifference(results)
            #expect(difference == nil, "round \(round) \(window) multiplier \(multiplier): \(difference ?? "")")
        }
    }

    @Test func everyKernelSetMatchesThePortableAddAndPooling() {
        var rng = SplitMix(state: 4)
        for round in 0..<100 {
            let n = rng.int(1...70)
            let a = rng.int8s(n), b = rng.int8s(n)
            let m = Add.multipliers(scale1: Float(rng.int(1...100)) / 400, scale2: Float(rng.int(1...100)) / 400,
                                    outputScale: Float(rng.int(1...100)) / 300)
            let add = Add(
                shape: SIMD4(1, 1, 1, Int32(n)), strides1: SIMD4(0, 0, 0, 1), strides2: SIMD4(0, 0, 0, 1),
                input1Offset: Int32(rng.int(-127...128)), input2Offset: Int32(rng.int(-127...128)), input1: m.input1,
                input2: m.input2, output: m.output, leftShift: m.leftShift, outputZeroPoint: Int32(rng.int(-128...127)),
                activation: ActivationRange(min: Int32(rng.int(-128...0)), max: 127))
            let sums = onEveryKernelSet(n) { out in
                a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in add.run(input1: x.baseAddress!, input2: y.baseAddress!, output: out) } }
            }
            #expect(firstDifference(sums) == nil, "ADD round \(round): \(firstDifference(sums) ?? "")")

            let fh = rng.int(1...4), fw = rng.int(1...4), s = rng.int(1...3), depth = rng.int(1...40)
            let inH = rng.int(1...9), inW = rng.int(1...9)
            let padding: Window2D.Padding = rng.int(0...1) == 0 ? .same : .valid
            let outH = Window2D.outputSize(padding, input: inH, filter: fh, stride: s, dilation: 1)
            let outW = Window2D.outputSize(padding, input: inW, filter: fw, stride: s, dilation: 1)
            guard outH > 0, outW > 0 else { continue }
            let window = Window2D(
                batches: 1, inputHeight: inH, inputWidth: inW, inputDepth: depth, outputHeight: outH, outputWidth: outW,
                outputDepth: depth, filterHeight: fh, filterWidth: fw, strideHeight: s, strideWidth: s,
                dilationHeight: 1, dilationWidth: 1,
                padTop: Window2D.padding(stride: s, dilation: 1, input: inH, filter: fh, output: outH),
                padLeft: Window2D.padding(stride: s, dilation: 1, input: inW, filter: fw, output: outW))
            let input = rng.int8s(inH * inW * depth)
            let activation = ActivationRange(min: Int32(rng.int(-128...0)), max: Int32(rng.int(1...127)))
            let averages = onEveryKernelSet(outH * outW * depth) { out in
                input.withUnsafeBufferPointer { AveragePool2D(window: window, activation: activation).run(input: $0.baseAddress!, output: out) }
            }
            #expect(firstDifference(averages) == nil, "AVERAGE_POOL_2D round \(round): \(firstDifference(averages) ?? "")")
            let maxima = onEveryKernelSet(outH * outW * depth) { out in
                input.withUnsafeBufferPointer { MaxPool2D(window: window, activation: activation).run(input: $0.baseAddress!, output: out) }
            }
            #expect(firstDifference(maxima) == nil, "MAX_POOL_2D round \(round): \(firstDifference(maxima) ?? "")")
        }
    }
}

extension ReferenceModelTests {
    @Test func softmaxAndLogisticTablesGiveTheComputedBytes() {
        var rng = SplitMix(state: 21)
        for round in 0..<40 {
            let depth = rng.int(1...40)
            let softmax = Softmax(rows: 3, depth: depth, beta: Float(rng.int(1...4)) / 2, inputScale: Float(rng.int(1...400)) / 1000)
            let logistic = Logistic(count: 3 * depth, inputScale: Float(rng.int(1...400)) / 1000, inputZeroPoint: Int32(rng.int(-128...127)))
            let input = rng.int8s(3 * depth)
            var computed = [Int8](repeating: 0, count: 3 * depth), tabled = computed
            var logisticComputed = computed, logisticTabled = computed
            let exps = softmax.makeExpTable(), outputs = logistic.makeTable()
            input.withUnsafeBufferPointer { i in
                exps.withUnsafeBufferPointer { e in
                    outputs.withUnsafeBufferPointer { t in
                        // Valid: every buffer holds 3 × depth values; the tables 256.
                        computed.withUnsafeMutableBufferPointer { softmax.run(input: i.baseAddress!, output: $0.baseAddress!) }
                        var withTable = softmax
                        withTable.expTable = e.baseAddress!
                        tabled.withUnsafeMutableBufferPointer { withTable.run(input: i.baseAddress!, output: $0.baseAddress!) }
                        logisticComputed.withUnsafeMutableBufferPointer { logistic.run(input: i.baseAddress!, output: $0.baseAddress!) }
                        var logisticWithTable = logistic
                        logisticWithTable.table = t.baseAddress!
                        logisticTabled.withUnsafeMutableBufferPointer {
                            logisticWithTable.run(input: i.baseAddress!, output: $0.baseAddress!)
                        }
                    }
                }
            }
            #expect(tabled == computed, "SOFTMAX round \(round)")
            #expect(logisticTabled == logisticComputed, "LOGISTIC round \(round)")
        }
    }
}
