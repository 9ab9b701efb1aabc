import CLinux
import Glibc
import Testing

/// fieldagent drops the code pages start-up faulted in (cl_drop_startup_code_pages): the process keeps running the
/// same code afterwards, and the executable's code is among the mappings dropped.
@Test func droppingStartupCodePagesLeavesTheProcessRunningItsCode() {
    let dropped = cl_drop_startup_code_pages()
    #expect(dropped >= 1, "at least the test executable's own code mapping")
    // Code runs again from the page cache: a computation across many functions still gives the same answer.
    var x: UInt64 = 1
    for i in 1...1000 { x = x &* 6364136223846793005 &+ UInt64(i) }
    #expect(x == { var y: UInt64 = 1; for i in 1...1000 { y = y &* 6364136223846793005 &+ UInt64(i) }; return y }())
    #expect(cl_drop_startup_code_pages() >= 1, "and it can be called again")
}
