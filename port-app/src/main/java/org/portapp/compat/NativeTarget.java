package org.portapp.compat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The host's own kernel: the reference every platform is compared with. */
public record NativeTarget() implements Target {
    public static final String NAME = "native";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Execution run(Path binary, List<String> argv, Map<String, String> env, Path tmp, Duration timeout) {
        List<String> cmd = new ArrayList<>(argv);
        cmd.set(0, binary.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        return HostProcess.run(pb, timeout);
    }
}
