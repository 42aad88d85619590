package org.portapp.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portapp.image.FileMapping;
import org.portapp.platform.qemu.UnikernelApp;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What {@code run} and {@code build} share: the app, its arguments, environment and files. */
final class AppOptions {
    @Option(names = "-m", defaultValue = "128", paramLabel = "MEM",
            description = "Guest memory in MiB (unikernel). Default: ${DEFAULT-VALUE}.")
    int memory;

    @Option(names = "--env", paramLabel = "K=V",
            description = "Set an environment variable for the app (unikernel; repeatable). The app starts with "
                    + "PATH and HOME set, nothing else.")
    List<String> env = new ArrayList<>();

    @Option(names = {"--file", "--dir"}, paramLabel = "HOST:GUEST",
            description = "Put a host file or directory tree into the guest's file system at GUEST (repeatable; "
                    + "on linuxu it is placed in the app's image root). " + FileMapping.RULE)
    List<String> files = new ArrayList<>();

    @Option(names = "--known-footprint", description = "Select shim modules for the statically known syscall "
            + "numbers only, even when some sites' numbers are known only at run time (a call through such a site "
            + "to a module left out gets -ENOSYS). Default: every module when the footprint is incomplete.")
    boolean knownFootprint;

    @Parameters(index = "0", paramLabel = "BIN", description = "The program.")
    Path binary;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments (after --).")
    List<String> args = new ArrayList<>();

    /** The {@code --file}/{@code --dir} mappings, parsed by the one rule every platform uses. */
    List<FileMapping> fileMappings() {
        return files.stream().map(FileMapping::parse).toList();
    }

    /** The {@code --env} settings, in order. */
    Map<String, String> environment() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new PortAppException("--env " + e + ": expected NAME=VALUE");
            }
            out.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return out;
    }

    /** The app made ready to boot on the unikernel. */
    UnikernelApp unikernel(boolean trace, boolean noRewrite, org.portapp.image.Progress progress) {
        Inputs.existingFile(binary);
        return UnikernelApp.prepare(Main.root(), Main.cacheDir(), new UnikernelApp.Request(binary, args,
                environment(), fileMappings(), trace, noRewrite, knownFootprint), progress);
    }

    /** The guest memory, checked. */
    int memoryMiB() {
        if (memory < 8) {
            throw new PortAppException("-m " + memory + ": at least 8 MiB");
        }
        return memory;
    }
}
