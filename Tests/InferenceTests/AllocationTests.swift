import CAllocationCounter
import CompiledModel
import Inference
import ReferenceModels
import Testing

/// Mallocs made by this thread while `body` runs.
func allocations(_ body: () -> Void) -> Int {
    fa_allocation_counting_start()
    body()
    return fa_allocation_counting_stop()
}

extension ReferenceModelTests {
    @Test func theCounterSeesAnAllocation() {
        let count = allocations {
            let array = [Int](repeating: 7, count: 1000 + Int.random(in: 0..<2))
            #expect(array.count > 999)
        }
        #expect(count >= 1)
    }

    @Test("predict allocates nothing", arguments: models.indices)
    func predictAllocatesNothing(index: Int) {
        let model = Self.models[index]
        let input = [Int8](repeating: 3, count: model.info.input.count)
        var output = [Int8](repeating: 0, count: model.info.output.count)
        input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                // Valid: both buffers have the model's sizes for the duration of the closure.
                let inPtr = i.baseAddress!, outPtr = o.baseAddress!
                model.predictExclusively(input: inPtr, output: outPtr)  // first call: lazy globals may initialise
                let count = allocations {
                    for _ in 0..<10 { model.predictExclusively(input: inPtr, output: outPtr) }
                }
                #expect(count == 0, "\(model.info.name): \(count) allocations in 10 inferences")
            }
        }
    }

    @Test func theCompiledInModelAllocatesNothing() {
        var input = [Int8](repeating: 0, count: CompiledModel.info.input.count)
        var output = [Int8](repeating: 0, count: CompiledModel.info.output.count)
        input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                // Valid: both buffers have the model's sizes for the duration of the closure.
                CompiledModel.predictExclusively(input: i.baseAddress!, output: o.baseAddress!)
                let count = allocations { CompiledModel.predictExclusively(input: i.baseAddress!, output: o.baseAddress!) }
                #expect(count == 0)
            }
        }
    }
}
