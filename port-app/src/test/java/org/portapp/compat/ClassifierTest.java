package org.portapp.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** LTP's exit bits and output lines, and what happens around a test, made into verdicts. */
class ClassifierTest {
    private static TestResult exit(int code, String output) {
        return Classifier.classify(new Execution(code, output, "", false, false, null, 5));
    }

    @Test
    void exitBitsTheWorstWins() {
        assertEquals(Outcome.PASS, exit(0, "x.c:1: TPASS: ok\n").outcome());
        assertEquals(Outcome.FAIL, exit(1, "").outcome());
        assertEquals(Outcome.BROK, exit(2, "").outcome());
        assertEquals(Outcome.FAIL, exit(1 | 2 | 4 | 32, "").outcome());
        assertEquals(Outcome.BROK, exit(2 | 4 | 32, "").outcome());
        assertEquals(Outcome.WARN, exit(4 | 32, "").outcome());
        assertEquals(Outcome.CONF, exit(32, "").outcome());
        // not LTP's bits (exec failing, a library's exit): broken, with the code said
        TestResult odd = exit(127, "");
        assertEquals(Outcome.BROK, odd.outcome());
        assertEquals("exit code 127", odd.detail());
    }

    @Test
    void firstLineOfTheVerdictsOwnTag() {
        String out = "a.c:1: TINFO: start\na.c:2: TCONF: skipped\na.c:3: TFAIL: read() returned 3\n"
                + "a.c:4: TFAIL: second\n";
        assertEquals("a.c:3: TFAIL: read() returned 3", exit(33, out).detail());
        assertEquals("a.c:2: TCONF: skipped", exit(32, out).detail());
        // the old API's format
        assertEquals("getpid01    1  TBROK  :  getpid01.c:55: setup failed",
                exit(2, "getpid01    1  TBROK  :  getpid01.c:55: setup failed\n").detail());
    }

    @Test
    void signalsTimeoutsAndKernelFaults() {
        TestResult segv = exit(139, "");
        assertEquals(Outcome.CRASH, segv.outcome());
        assertEquals("crash: SIGSEGV", segv.cause());
        assertEquals(Outcome.TIMEOUT, Classifier.classify(new Execution(-1, "", "", true, false, null, 9)).outcome());
        TestResult k = Classifier.classify(new Execution(125, "", "[kernel] boot\n*** KERNEL PAGE FAULT at 0x10\n",
                false, true, null, 9));
        assertEquals(Outcome.KERNEL_FAULT, k.outcome());
        assertEquals("*** KERNEL PAGE FAULT at 0x10", k.detail());
        assertEquals(Outcome.ERROR, Classifier.classify(Execution.failed("cannot rewrite", 1)).outcome());
    }

    @Test
    void forkNeededIsItsOwnCause() {
        TestResult r = exit(2, "port-app: fork() is not available in the unikernel (single address space); run that "
                + "program as its own app\ntst_test.c:1: TBROK: fork() failed: ENOSYS (38)\n");
        assertEquals(Outcome.FORK, r.outcome());
        assertEquals("fork-related: fork()", r.cause());
    }

    @Test
    void causes() {
        assertEquals("unimplemented syscall: io_setup, io_destroy", Classifier.classify(new Execution(2,
                "t.c:3: TBROK: io_setup() failed: ENOSYS (38)\n",
                "[kernel] unhandled syscall io_setup (206): -ENOSYS\n[kernel] unhandled syscall io_destroy (207): "
                        + "-ENOSYS\n", false, false, null, 1)).cause());
        assertEquals("unimplemented syscall (ENOSYS)", exit(1, "t.c:3: TFAIL: foo() failed: ENOSYS (38)\n").cause());
        assertEquals("wrong errno", exit(1, "t.c:3: TFAIL: open() expected EINVAL: ENOENT (2)\n").cause());
        assertEquals("FAIL: other", exit(1, "t.c:3: TFAIL: data differ\n").cause());
        assertEquals("not supported here (TCONF)", exit(32, "t.c:3: TCONF: no\n").cause());
    }
}
