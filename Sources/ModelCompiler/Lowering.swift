import Inference

/// Checks a decoded model operator by operator and precomputes what each kernel needs (TFLM's Prepare step, done
/// at build time): multipliers and shifts, activation ranges, padding, folded biases, packed weights.
struct Lowering {
    /// The operators this compiler has kernels for.
    static let supported = [
        "ADD", "AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "LOGISTIC", "MAX_POOL_2D",
        "QUANTIZE", "RESHAPE", "SOFTMAX",
    ]

    let model: TFLiteModel

    /// The model's input and output tensor and its operators, in execution order.
    func lower() throws(ModelError) -> (input: TFLiteModel.Tensor, output: TFLiteModel.Tensor, operators: [LoweredOperator]) {
        guard model.inputs.count == 1, model.outputs.count == 1 else {
            throw ModelError("the model has \(model.inputs.count) inputs and \(model.outputs.count) outputs; "
                + "only models with one input and one output are supported")
        }
        let input = model.tensors[model.inputs[0]], output = model.tensors[model.outputs[0]]
        for (t, role) in [(input, "input"), (output, "output")] {
            guard t.type == .int8 else {
                throw ModelError("model \(role), \(t.label): type \(t.type.name); the model must be fully int8-quantized "
                    + "(convert with converter.optimizations = [tf.lite.Optimize.DEFAULT], a representative dataset, "
                    + "target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], inference_input_type = "
                    + "inference_output_type = tf.int8)")
            }
            _ = try activationQuantization(t, place: "model \(role)")
        }
        var lowered: [LoweredOperator] = []
        for op in model.operators {
            lowered.append(try lower(op))
        }
        return (input, output, lowered)
    }

    // MARK: - Checks

    func tensor(_ op: TFLiteModel.Operator, input i: Int) throws(ModelError) -> TFLiteModel.Tensor {
        guard i < op.inputs.count, op.inputs[i] >= 0 else { throw ModelError("\(op.label): missing input \(i)") }
        return model.tensors[op.inputs[i]]
    }

    func optionalTensor(_ op: TFLiteModel.Operator, input i: Int) -> TFLiteModel.Tensor? {
        guard i < op.inputs.count, op.inputs[i] >= 0 else { return nil }
        return model.tensors[op.inputs[i]]
    }

    func outputTensor(_ op: TFLiteModel.Operator) throws(ModelError) -> TFLiteModel.Tensor {
        guard op.outputs.count == 1, op.outputs[0] >= 0 else {
            throw ModelError("\(op.label): \(op.outputs.count) outputs; expected 1")
        }
        return model.tensors[op.outputs[0]]
    }

    /// An int8 activation's (per-tensor) scale and zero point.
    func activationQuantization(_ t: TFLiteModel.Tensor, place: String) throws(ModelError) -> (scale: Float, zeroPoint: Int32) {
        guard t.type == .int8 else {
            let hint = t.type == .float32
                ? "; float tensors are not supported: convert with full integer quantization (a representative dataset, "
                    + "TFLITE_BUILTINS_INT8, inference_input_type = inference_output_type = tf.int8)"
                : "; activations must be INT8"
            throw ModelError("\(place), \(t.label): type \(t.type.name)\(hint)")
        }
        guard let scale = t.scales.first, scale > 0, scale.isFinite else {
            throw ModelError("\(place), \(t.label): missing quantization parameters (no scale); every int8 tensor needs a "
                + "scale and a zero point (full integer quantization)")
        }
        guard let zp = t.zeroPoints.first else {
            throw ModelError("\(place), \(t.label): missing quantization parameters (no zero point)")
        }
        guard t.scales.count == 1 else {
            throw ModelError("\(place), \(t.label): \(t.scales.count) scales on an activation; expected one (per-tensor)")
        }
        guard zp >= -128, zp <= 127 else { throw ModelError("\(place), \(t.label): zero point \(zp) outside int8") }
        return (scale, Int32(zp))
    }

    /// Per-channel (or per-tensor) weight scales, checked: int8, constant, symmetric, `channels` scales or one.
    func weightScales(_ t: TFLiteModel.Tensor, op: TFLiteModel.Operator, channels: Int, dimension: Int) throws(ModelError) -> [Float] {
        let place = "\(op.label), \(t.label)"
        guard t.isConstant else { throw ModelError("\(place): weights must be constant") }
        guard t.type == .int8 else {
            throw ModelError("\(place): weights of type \(t.type.name); expected INT8 (full integer quantization)")
        }
        guard !t.scales.isEmpty else {
            throw ModelError("\(place): missing quantization parameters (no scale); int8 weights need per-channel or "
                + "per-tensor scales (convert with full integer quantization)")
        }
        guard t.scales.count == 1 || t.scales.count == channels else {
            throw ModelError("\(place): \(t.scales.count) scales for \(channels) output channels")
        }
        if t.scales.count > 1 && t.quantizedDimension != dimension {
            throw ModelError("\(place): per-channel scales along dimension \(t.quantizedDimension); expected \(dimension)")
        }
        if t.zeroPoints.contains(where: { $0 != 0 }) {
            throw ModelError("\(place): non-zero weight zero point; int8 weights must be symmetric")
        }
        guard t.count * 1 == t.data?.count else {
            throw ModelError("\(place): \(t.data?.count ?? 0) bytes of data for shape \(t.shapeText)")
        }
        return t.scales.count == 1 ? Array(repeating: t.scales[0], count: channels) : t.scales
    }

    /// Bias values (zeros when the operator has none), checked: constant int32, one per channel.
    func biasValues(_ op: TFLiteModel.Operator, input i: Int, channels: Int) throws(ModelError) -> [Int32] {
        guard let t = optionalTensor(op, input: i) else { return Array(repeating: 0, count: channels) }
        let place = "\(op.label), \(t.label)"
        guard t.isConstant else { throw ModelError("\(place): bias must be constant") }
        guard t.type == .int32 else { throw ModelError("\(place): bias of type \(t.type.name); expected INT32") }
        let values = t.int32s
        guard values.count == channels else {
            throw ModelError("\(place): \(values.count) bias values for \(channels) output channels")
        }
        return values
    }

    func fusedActivation(_ code: UInt8, op: TFLiteModel.Operator) throws(ModelError) -> ActivationRange.Function {
        switch code {
        case 0: return .none
        case 1: return .relu
        case 2: return .reluN1To1
        case 3: return .relu6
        default:
            let name = code == 4 ? "TANH" : code == 5 ? "SIGN_BIT" : "\(code)"
            throw ModelError("\(op.label): fused activation \(name) is not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)")
        }
    }

    func options(_ op: TFLiteModel.Operator) throws(ModelError) -> FlatBuffer.Table {
        guard let options = op.options else { throw ModelError("\(op.label): missing builtin options") }
        return options
    }

    func rank4(_ t: TFLiteModel.Tensor, op: TFLiteModel.Operator) throws(ModelError) -> [Int] {
        guard t.shape.count == 4 else {
            throw ModelError("\(op.label), \(t.label): shape \(t.shapeText); expected 4 dimensions (NHWC)")
        }
        return t.shape
    }

    /// Output extent and padding for one spatial dimension, checked against the output tensor.
    func spatial(
        _ padding: Window2D.Padding, input: Int, filter: Int, stride: Int, dilation: Int, expected: Int, what: String,
        op: TFLiteModel.Operator
    ) throws(ModelError) -> Int {
        guard stride > 0, dilation > 0, filter > 0 else {
            throw ModelError("\(op.label): \(what) stride \(stride), dilation \(dilation), filter \(filter) must be positive")
        }
        let out = Window2D.outputSize(padding, input: input, filter: filter, stride: stride, dilation: dilation)
        guard out == expected else {
            throw ModelError("\(op.label): output \(what) is \(expected) in the file but \(out) from the options "
                + "(input \(input), filter \(filter), stride \(stride), dilation \(dilation), \(padding) padding)")
        }
        return Window2D.padding(stride: stride, dilation: dilation, input: input, filter: filter, output: out)
    }

    func paddingOption(_ code: UInt8, op: TFLiteModel.Operator) throws(ModelError) -> Window2D.Padding {
        switch code {
        case 0: return .same
        case 1: return .valid
        default: throw ModelError("\(op.label): padding \(code) is not supported (SAME, VALID are)")
        }
    }

    /// Per-channel requantization for weighted ops: M = input_scale × weight_scale[c] / output_scale in double.
    func channelMultipliers(inputScale: Float, weightScales: [Float], outputScale: Float, floatProduct: Bool) -> [QuantizedMultiplier] {
        weightScales.map { w in
            // TFLM's per-tensor FULLY_CONNECTED (GetQuantizedConvolutionMultipler) multiplies the scales in float.
            let product = floatProduct ? Double(inputScale * w) : Double(inputScale) * Double(w)
            return QuantizedMultiplier(product / Double(outputScale))
        }
    }

    func requantConstants(_ op: TFLiteModel.Operator, _ m: [QuantizedMultiplier], bias: [Int32], biasComment: String) -> [ConstantArray] {
        [
            ConstantArray(field: "op\(op.index)_bias", element: .int32, values: bias.map { Int64($0) }, comment: biasComment),
            ConstantArray(field: "op\(op.index)_multipliers", element: .int32, values: m.map { Int64($0.multiplier) },
                          comment: "per-channel output multipliers (Q0.31)"),
            ConstantArray(field: "op\(op.index)_shifts", element: .int32, values: m.map { Int64($0.shift) },
                          comment: "per-channel output shifts"),
        ]
    }

    /// FULLY_CONNECTED and CONV_2D constants: weights [channels][depth] in the ``PackedWeights`` layout, bias with
    /// −input_zero_point × Σ weights folded in, multipliers, shifts and weight sums, padded to whole blocks of 8.
    func packedConstants(
        _ op: TFLiteModel.Operator, weights: TFLiteModel.Tensor, channels: Int, depth: Int, bias: [Int32],
        inputZeroPoint: Int32, multipliers m: [QuantizedMultiplier]
    ) -> [ConstantArray] {
        let w = weights.int8s
        let sums = PackedWeights.sums(w, channels: channels, depth: depth)
        let padding = PackedWeights.paddedChannels(channels) - channels
        let folded = (0..<channels).map { bias[$0] &+ (-inputZeroPoint) &* sums[$0] } + Array(repeating: 0, count: padding)
        let padded = m + Array(repeating: QuantizedMultiplier(multiplier: 0, shift: 0), count: padding)
        return [
            ConstantArray(field: "op\(op.index)_weights", element: .int8,
                          values: PackedWeights.pack(w, channels: channels, depth: depth).map { Int64($0) },
                          comment: "\(weights.label) \(weights.shapeText) packed: blocks of 8 channels × groups of 4 of depth \(depth)"),
        ] + requantConstants(op, padded, bias: folded, biasComment: "bias − input_zero_point × Σ weights, per channel (blocks of 8)")
            + [ConstantArray(field: "op\(op.index)_weight_sums", element: .int32, values: sums.map { Int64($0) },
                             comment: "Σ weights per channel (blocks of 8)")]
    }

    static func roundUp(_ x: Int, _ to: Int) -> Int { (x + to - 1) / to * to }

    func shapeSummary(_ inputs: [TFLiteModel.Tensor], _ output: TFLiteModel.Tensor) -> String {
        inputs.map(\.shapeText).joined(separator: " + ") + " → " + output.shapeText
    }

    func activationName(_ f: ActivationRange.Function) -> String {
        switch f {
        case .none: ""
        case .relu: " relu"
        case .relu6: " relu6"
        case .reluN1To1: " relu_n1_to_1"
        }
    }

    // MARK: - Operators

    func lower(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        for i in op.inputs where i >= 0 {
            let t = model.tensors[i]
            if !t.isConstant { _ = try activationQuantization(t, place: op.label) }
        }
        for i in op.outputs where i >= 0 { _ = try activationQuantization(model.tensors[i], place: op.label) }
        switch op.name {
        case "FULLY_CONNECTED": return try fullyConnected(op)
        case "CONV_2D": return try conv2D(op)
        case "DEPTHWISE_CONV_2D": return try depthwiseConv2D(op)
        case "AVERAGE_POOL_2D", "MAX_POOL_2D": return try pool(op)
        case "RESHAPE": return try reshape(op)
        case "SOFTMAX": return try softmax(op)
        case "LOGISTIC": return try logistic(op)
        case "ADD": return try add(op)
        case "QUANTIZE": return try quantize(op)
        default:
            let kind = op.code == 32 ? "custom operator" : "operator"
            throw ModelError("\(op.label): unsupported \(kind) \(op.name); supported: \(Lowering.supported.joined(separator: ", "))")
        }
    }

    func fullyConnected(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), weights = try tensor(op, input: 1), output = try outputTensor(op)
        let options = try self.options(op)
        let activation = try fusedActivation(try options.u8(0), op: op)
        guard try options.u8(1) == 0 else { throw ModelError("\(op.label): shuffled weights format is not supported") }
        guard weights.shape.count == 2 else {
            throw ModelError("\(op.label), \(weights.label): weights shape \(weights.shapeText); expected [units, depth]")
        }
        let units = weights.shape[0], depth = weights.shape[1]
        guard depth > 0, input.count % depth == 0 else {
            throw ModelError("\(op.label): input \(input.shapeText) is not a whole number of rows of \(depth)")
        }
        let batches = input.count / depth
        guard output.count == batches * units else {
            throw ModelError("\(op.label): output \(output.shapeText) holds \(output.count) values; expected \(batches * units)")
        }
        let scales = try weightScales(weights, op: op, channels: units, dimension: 0)
        let bias = try biasValues(op, input: 2, channels: units)
        let (inScale, inZP) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        let m = channelMultipliers(inputScale: inScale, weightScales: scales, outputScale: outScale,
                                   floatProduct: weights.scales.count == 1)
        let range = ActivationRange(activation, scale: outScale, zeroPoint: outZP)
        let constants = packedConstants(op, weights: weights, channels: units, depth: depth, bias: bias, inputZeroPoint: inZP,
                                        multipliers: m)
        let i = op.index
        return LoweredOperator(
            index: i, name: op.name, reads: [input.index], output: output.index, constants: constants,
            info: OperatorInfo(name: op.name, summary: shapeSummary([input], output) + activationName(activation),
                               macs: batches * units * depth, parameters: weights.count + units),
            emit: { n in
                """
                FullyConnected(
                            batches: \(batches), depth: \(depth), units: \(units), weights: c.op\(i)_weights,
                            bias: c.op\(i)_bias, multipliers: c.op\(i)_multipliers, shifts: c.op\(i)_shifts,
                            weightSums: c.op\(i)_weight_sums, outputZeroPoint: \(outZP), activation: \(SwiftLiteral.activation(range))
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }

    func conv2D(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), weights = try tensor(op, input: 1), output = try outputTensor(op)
        let options = try self.options(op)
        let padding = try paddingOption(try options.u8(0), op: op)
        let strideW = Int(try options.i32(1)), strideH = Int(try options.i32(2))
        let activation = try fusedActivation(try options.u8(3), op: op)
        let dilationW = Int(try options.i32(4, default: 1)), dilationH = Int(try options.i32(5, default: 1))
        let inShape = try rank4(input, op: op), outShape = try rank4(output, op: op), wShape = try rank4(weights, op: op)
        let outC = wShape[0], kh = wShape[1], kw = wShape[2], inC = wShape[3]
        guard inC == inShape[3] else {
            throw ModelError("\(op.label): filter depth \(inC) differs from input depth \(inShape[3]); grouped convolution is not supported")
        }
        guard outShape[3] == outC, outShape[0] == inShape[0] else {
            throw ModelError("\(op.label): output \(output.shapeText) does not match filter \(weights.shapeText) and input \(input.shapeText)")
        }
        let padTop = try spatial(padding, input: inShape[1], filter: kh, stride: strideH, dilation: dilationH,
                                 expected: outShape[1], what: "height", op: op)
        let padLeft = try spatial(padding, input: inShape[2], filter: kw, stride: strideW, dilation: dilationW,
                                  expected: outShape[2], what: "width", op: op)
        let window = Window2D(
            batches: inShape[0], inputHeight: inShape[1], inputWidth: inShape[2], inputDepth: inC,
            outputHeight: outShape[1], outputWidth: outShape[2], outputDepth: outC, filterHeight: kh, filterWidth: kw,
            strideHeight: strideH, strideWidth: strideW, dilationHeight: dilationH, dilationWidth: dilationW,
            padTop: padTop, padLeft: padLeft)
        let scales = try weightScales(weights, op: op, channels: outC, dimension: 0)
        let bias = try biasValues(op, input: 2, channels: outC)
        let (inScale, inZP) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        let m = channelMultipliers(inputScale: inScale, weightScales: scales, outputScale: outScale, floatProduct: false)
        let depth = kh * kw * inC
        let pointwise = kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
        let scratchStride = Lowering.roundUp(depth, 16)
        let range = ActivationRange(activation, scale: outScale, zeroPoint: outZP)
        let constants = packedConstants(op, weights: weights, channels: outC, depth: depth, bias: bias, inputZeroPoint: inZP,
                                        multipliers: m)
        let i = op.index
        let summary = shapeSummary([input], output) + " \(kh)×\(kw) stride \(strideH)×\(strideW)"
            + (dilationH > 1 || dilationW > 1 ? " dilation \(dilationH)×\(dilationW)" : "") + " \(padding)"
            + activationName(activation)
        return LoweredOperator(
            index: i, name: op.name, reads: [input.index], output: output.index, scratchBytes: pointwise ? 0 : scratchStride,
            scratchRowBytes: pointwise ? 0 : scratchStride, constants: constants,
            info: OperatorInfo(name: op.name, summary: summary, macs: output.count * depth, parameters: weights.count + outC),
            emit: { n in
                """
                Conv2D(
                            window: \(SwiftLiteral.window(window)),
                            weights: c.op\(i)_weights, bias: c.op\(i)_bias, multipliers: c.op\(i)_multipliers,
                            shifts: c.op\(i)_shifts, weightSums: c.op\(i)_weight_sums, inputZeroPoint: \(inZP),
                            outputZeroPoint: \(outZP), activation: \(SwiftLiteral.activation(range)), scratch: \(n.scratch),
                            scratchRows: \(n.scratchRows), scratchStride: \(scratchStride)
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }

    func depthwiseConv2D(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), weights = try tensor(op, input: 1), output = try outputTensor(op)
        let options = try self.options(op)
        let padding = try paddingOption(try options.u8(0), op: op)
        let strideW = Int(try options.i32(1)), strideH = Int(try options.i32(2))
        let activation = try fusedActivation(try options.u8(4), op: op)
        let dilationW = Int(try options.i32(5, default: 1)), dilationH = Int(try options.i32(6, default: 1))
        let inShape = try rank4(input, op: op), outShape = try rank4(output, op: op), wShape = try rank4(weights, op: op)
        let kh = wShape[1], kw = wShape[2], outC = wShape[3], inC = inShape[3]
        guard wShape[0] == 1, inC > 0, outC % inC == 0, outShape[3] == outC, outShape[0] == inShape[0] else {
            throw ModelError("\(op.label): filter \(weights.shapeText) does not fit input \(input.shapeText) and output \(output.shapeText)")
        }
        let multiplier = outC / inC
        let padTop = try spatial(padding, input: inShape[1], filter: kh, stride: strideH, dilation: dilationH,
                                 expected: outShape[1], what: "height", op: op)
        let padLeft = try spatial(padding, input: inShape[2], filter: kw, stride: strideW, dilation: dilationW,
                                  expected: outShape[2], what: "width", op: op)
        let window = Window2D(
            batches: inShape[0], inputHeight: inShape[1], inputWidth: inShape[2], inputDepth: inC,
            outputHeight: outShape[1], outputWidth: outShape[2], outputDepth: outC, filterHeight: kh, filterWidth: kw,
            strideHeight: strideH, strideWidth: strideW, dilationHeight: dilationH, dilationWidth: dilationW,
            padTop: padTop, padLeft: padLeft)
        let scales = try weightScales(weights, op: op, channels: outC, dimension: 3)
        let bias = try biasValues(op, input: 2, channels: outC)
        let (inScale, inZP) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        let m = channelMultipliers(inputScale: inScale, weightScales: scales, outputScale: outScale, floatProduct: false)
        let range = ActivationRange(activation, scale: outScale, zeroPoint: outZP)
        var constants = [ConstantArray(field: "op\(op.index)_weights", element: .int8, values: weights.int8s.map { Int64($0) },
                                       comment: "\(weights.label) \(weights.shapeText) as [kh·kw][out_c]")]
        constants += requantConstants(op, m, bias: bias, biasComment: "bias, per output channel")
        let i = op.index
        let summary = shapeSummary([input], output) + " \(kh)×\(kw) stride \(strideH)×\(strideW)"
            + (dilationH > 1 || dilationW > 1 ? " dilation \(dilationH)×\(dilationW)" : "")
            + (multiplier > 1 ? " multiplier \(multiplier)" : "") + " \(padding)" + activationName(activation)
        return LoweredOperator(
            index: i, name: op.name, reads: [input.index], output: output.index, constants: constants,
            info: OperatorInfo(name: op.name, summary: summary, macs: output.count * kh * kw, parameters: weights.count + outC),
            emit: { n in
                """
                DepthwiseConv2D(
                            window: \(SwiftLiteral.window(window)),
                            depthMultiplier: \(multiplier), weights: c.op\(i)_weights, bias: c.op\(i)_bias,
                            multipliers: c.op\(i)_multipliers, shifts: c.op\(i)_shifts, inputZeroPoint: \(inZP),
                            outputZeroPoint: \(outZP), activation: \(SwiftLiteral.activation(range))
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }

    func pool(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), output = try outputTensor(op)
        let options = try self.options(op)
        let padding = try paddingOption(try options.u8(0), op: op)
        let strideW = Int(try options.i32(1)), strideH = Int(try options.i32(2))
        let filterW = Int(try options.i32(3)), filterH = Int(try options.i32(4))
        let activation = try fusedActivation(try options.u8(5), op: op)
        let inShape = try rank4(input, op: op), outShape = try rank4(output, op: op)
        guard inShape[0] == outShape[0], inShape[3] == outShape[3] else {
            throw ModelError("\(op.label): output \(output.shapeText) does not match input \(input.shapeText)")
        }
        let (inScale, inZP) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        guard inScale == outScale, inZP == outZP else {
            throw ModelError("\(op.label): input and output quantization differ (scale \(inScale) vs \(outScale), "
                + "zero point \(inZP) vs \(outZP)); TFLM requires them equal for pooling")
        }
        let padTop = try spatial(padding, input: inShape[1], filter: filterH, stride: strideH, dilation: 1,
                                 expected: outShape[1], what: "height", op: op)
        let padLeft = try spatial(padding, input: inShape[2], filter: filterW, stride: strideW, dilation: 1,
                                  expected: outShape[2], what: "width", op: op)
        let window = Window2D(
            batches: inShape[0], inputHeight: inShape[1], inputWidth: inShape[2], inputDepth: inShape[3],
            outputHeight: outShape[1], outputWidth: outShape[2], outputDepth: outShape[3], filterHeight: filterH,
            filterWidth: filterW, strideHeight: strideH, strideWidth: strideW, dilationHeight: 1, dilationWidth: 1,
            padTop: padTop, padLeft: padLeft)
        let range = ActivationRange(activation, scale: outScale, zeroPoint: outZP)
        let kernel = op.name == "MAX_POOL_2D" ? "MaxPool2D" : "AveragePool2D"
        let summary = shapeSummary([input], output) + " \(filterH)×\(filterW) stride \(strideH)×\(strideW) \(padding)"
            + activationName(activation)
        return LoweredOperator(
            index: op.index, name: op.name, reads: [input.index], output: output.index,
            info: OperatorInfo(name: op.name, summary: summary, macs: 0, parameters: 0),
            emit: { n in
                """
                \(kernel)(
                            window: \(SwiftLiteral.window(window)),
                            activation: \(SwiftLiteral.activation(range))
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }

    func reshape(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), output = try outputTensor(op)
        guard input.count == output.count else {
            throw ModelError("\(op.label): input \(input.shapeText) and output \(output.shapeText) differ in size")
        }
        let inQ = try activationQuantization(input, place: op.label), outQ = try activationQuantization(output, place: op.label)
        guard inQ == outQ else {
            throw ModelError("\(op.label): input and output quantization differ; RESHAPE must not requantize")
        }
        var lowered = LoweredOperator(
            index: op.index, name: op.name, reads: [input.index], output: output.index,
            info: OperatorInfo(name: op.name, summary: shapeSummary([input], output), macs: 0, parameters: 0),
            emit: { n in
                "Reshape(count: \(output.count)).run(input: \(n.read(input.index)), output: \(n.write(output.index)))"
            })
        lowered.isReshape = true
        return lowered
    }

    func softmax(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), output = try outputTensor(op)
        let beta = try options(op).f32(0)
        let (inScale, _) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        guard outScale == 1.0 / 256, outZP == -128 else {
            throw ModelError("\(op.label), \(output.label): output scale \(outScale) zero point \(outZP); TFLM's int8 softmax "
                + "needs scale 1/256 and zero point -128")
        }
        guard let depth = input.shape.last, depth > 0, input.count == output.count else {
            throw ModelError("\(op.label): input \(input.shapeText) and output \(output.shapeText) do not match")
        }
        let s = Softmax(rows: input.count / depth, depth: depth, beta: beta, inputScale: inScale)
        let table = ConstantArray(field: "op\(op.index)_exp_table", element: .int32, values: s.makeExpTable().map { Int64($0) },
                                  comment: "exp of the differences 0, −1, ... −255 from the row maximum (Q0.31)")
        return LoweredOperator(
            index: op.index, name: op.name, reads: [input.index], output: output.index, constants: [table],
            info: OperatorInfo(name: op.name, summary: shapeSummary([input], output) + (beta != 1 ? " beta \(beta)" : ""),
                               macs: 0, parameters: 0),
            emit: { n in
                """
                Softmax(
                            rows: \(s.rows), depth: \(s.depth), inputMultiplier: \(s.inputMultiplier),
                            inputLeftShift: \(s.inputLeftShift), diffMin: \(s.diffMin), expTable: c.op\(op.index)_exp_table
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }

    func logistic(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), output = try outputTensor(op)
        let (inScale, inZP) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        guard outScale == 1.0 / 256, outZP == -128, input.count == output.count else {
            throw ModelError("\(op.label), \(output.label): output scale \(outScale) zero point \(outZP); TFLM's int8 logistic "
                + "needs scale 1/256 and zero point -128")
        }
        let l = Logistic(count: input.count, inputScale: inScale, inputZeroPoint: inZP)
        let table = ConstantArray(field: "op\(op.index)_table", element: .int8, values: l.makeTable().map { Int64($0) },
                                  comment: "the output for each input −128 ... 127")
        return LoweredOperator(
            index: op.index, name: op.name, reads: [input.index], output: output.index, constants: [table],
            info: OperatorInfo(name: op.name, summary: shapeSummary([input], output), macs: 0, parameters: 0),
            emit: { n in
                """
                Logistic(
                            count: \(l.count), inputZeroPoint: \(l.inputZeroPoint), inputRangeRadius: \(l.inputRangeRadius),
                            inputMultiplier: \(l.inputMultiplier), inputLeftShift: \(l.inputLeftShift), table: c.op\(op.index)_table
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }

    func add(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let a = try tensor(op, input: 0), b = try tensor(op, input: 1), output = try outputTensor(op)
        let activation = try fusedActivation(try options(op).u8(0), op: op)
        var constants: [ConstantArray] = []
        var reads: [Int] = []
        for (k, t) in [a, b].enumerated() {
            let place = "\(op.label), \(t.label)"
            if t.isConstant {
                guard t.type == .int8 else { throw ModelError("\(place): constant of type \(t.type.name); expected INT8") }
                guard t.scales.count == 1, t.zeroPoints.count == 1 else {
                    throw ModelError("\(place): missing quantization parameters (one scale and zero point expected)")
                }
                constants.append(ConstantArray(field: "op\(op.index)_input\(k + 1)", element: .int8,
                                               values: t.int8s.map { Int64($0) }, comment: "\(t.label) \(t.shapeText)"))
            } else {
                reads.append(t.index)
            }
        }
        guard output.shape.count <= 4, a.shape.count <= 4, b.shape.count <= 4 else {
            throw ModelError("\(op.label): more than 4 dimensions are not supported")
        }
        func padded(_ s: [Int]) -> [Int] { Array(repeating: 1, count: 4 - s.count) + s }
        let outShape = padded(output.shape)
        func strides(_ t: TFLiteModel.Tensor) throws(ModelError) -> [Int] {
            let s = padded(t.shape)
            var result = [0, 0, 0, 0]
            var step = 1
            for d in (0..<4).reversed() {
                guard s[d] == outShape[d] || s[d] == 1 else {
                    throw ModelError("\(op.label): \(t.label) \(t.shapeText) does not broadcast to \(output.shapeText)")
                }
                result[d] = s[d] == 1 ? 0 : step
                step *= s[d]
            }
            return result
        }
        let s1 = try strides(a), s2 = try strides(b)
        let scale1 = a.isConstant ? a.scales[0] : try activationQuantization(a, place: op.label).scale
        let scale2 = b.isConstant ? b.scales[0] : try activationQuantization(b, place: op.label).scale
        let zp1 = a.isConstant ? Int32(a.zeroPoints[0]) : try activationQuantization(a, place: op.label).zeroPoint
        let zp2 = b.isConstant ? Int32(b.zeroPoints[0]) : try activationQuantization(b, place: op.label).zeroPoint
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        let m = Add.multipliers(scale1: scale1, scale2: scale2, outputScale: outScale)
        let range = ActivationRange(activation, scale: outScale, zeroPoint: outZP)
        let i = op.index
        func vector(_ v: [Int]) -> String { "SIMD4<Int32>(" + v.map(String.init).joined(separator: ", ") + ")" }
        return LoweredOperator(
            index: i, name: op.name, reads: reads, output: output.index, constants: constants,
            info: OperatorInfo(name: op.name, summary: shapeSummary([a, b], output) + activationName(activation),
                               macs: 0, parameters: constants.reduce(0) { $0 + $1.values.count }),
            emit: { n in
                let p1 = a.isConstant ? "c.op\(i)_input1" : n.read(a.index)
                let p2 = b.isConstant ? "c.op\(i)_input2" : n.read(b.index)
                return """
                    Add(
                                shape: \(vector(outShape)), strides1: \(vector(s1)), strides2: \(vector(s2)),
                                input1Offset: \(-zp1), input2Offset: \(-zp2), input1: \(SwiftLiteral.multiplier(m.input1)),
                                input2: \(SwiftLiteral.multiplier(m.input2)), output: \(SwiftLiteral.multiplier(m.output)),
                                leftShift: \(m.leftShift), outputZeroPoint: \(outZP), activation: \(SwiftLiteral.activation(range))
                            ).run(input1: \(p1), input2: \(p2), output: \(n.write(output.index)))
                    """
            })
    }

    func quantize(_ op: TFLiteModel.Operator) throws(ModelError) -> LoweredOperator {
        let input = try tensor(op, input: 0), output = try outputTensor(op)
        let (inScale, inZP) = try activationQuantization(input, place: op.label)
        let (outScale, outZP) = try activationQuantization(output, place: op.label)
        let m = QuantizedMultiplier(Double(inScale) / Double(outScale))
        return LoweredOperator(
            index: op.index, name: op.name, reads: [input.index], output: output.index,
            info: OperatorInfo(name: op.name, summary: shapeSummary([input], output), macs: 0, parameters: 0),
            emit: { n in
                """
                Quantize(
                            count: \(input.count), inputZeroPoint: \(inZP), outputZeroPoint: \(outZP),
                            multiplier: \(SwiftLiteral.multiplier(m))
                        ).run(input: \(n.read(input.index)), output: \(n.write(output.index)))
                """
            })
    }
}
