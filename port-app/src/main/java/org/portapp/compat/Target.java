package org.portapp.compat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Where a test runs: natively, or through port-app on one platform. */
public interface Target {
    /** The platform's name in tables and on the command line (native, linuxu, qemu-pc, qemu-microvm). */
    String name();

    /**
     * Runs {@code binary} with {@code argv} (argv[0] is the test's program name) in the
     * environment {@code env}, in the writable directory {@code tmp} on the host (its guest
     * equivalent on the unikernel), killed after {@code timeout}. Never throws for a
     * problem of this one test: that is an {@link Execution#failed} result.
     */
    /** The test's TMPDIR as the test sees it, given the host directory made for it. */
    default String tmpdir(Path hostTmp) {
        return hostTmp.toString();
    }

    Execution run(Path binary, List<String> argv, Map<String, String> env, Path tmp, Duration timeout);
}
