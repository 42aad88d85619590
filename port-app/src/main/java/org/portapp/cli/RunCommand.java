package org.portapp.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.portapp.platform.linuxu.LinuxuPlatform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code port-app run}: rewrite (cached) and run a binary on a platform. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Rewrites BIN (cached by content hash) and runs it on the chosen platform.",
            "The app's stdout, stderr and stdin are the command's own, unchanged, and the exit code is",
            "the app's (128+N if it was killed by signal N). port-app's own messages go to stderr."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--platform", defaultValue = "linuxu", paramLabel = "PLATFORM",
            description = "Where to run: linuxu (a Linux process). Default: ${DEFAULT-VALUE}.")
    String platform;

    @Option(names = "--trace-syscalls", description = "Print one strace-like line per syscall to stderr.")
    boolean trace;

    @Option(names = "--no-rewrite", description = "Run the binary unrewritten: every syscall then goes through "
            + "the fallback path (Syscall User Dispatch on linuxu). For comparison and debugging.")
    boolean noRewrite;

    @Parameters(index = "0", paramLabel = "BIN", description = "The program to run.")
    Path binary;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the program (after --).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!platform.equals("linuxu")) {
            throw new PortAppException("unknown platform '" + platform + "' (available: linuxu)");
        }
        List<String> cmd = linuxuCommand(binary, args, trace, noRewrite);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    /**
     * The host command that runs {@code binary} on linuxu: rewrites it (cached), builds the
     * platform if needed, and maps exec of the original path to the rewritten image.
     */
    static List<String> linuxuCommand(Path binary, List<String> args, boolean trace, boolean noRewrite) {
        Inputs.existingFile(binary);
        Path exe = binary.toAbsolutePath().normalize();
        Path image = noRewrite ? exe : new RewriteCache(Main.cacheDir()).rewritten(exe);
        LinuxuPlatform linuxu = LinuxuPlatform.at(Main.root());
        linuxu.ensureBuilt(Main.cacheDir().resolve("platforms"));
        List<String> argv = new ArrayList<>();
        argv.add(binary.toString());
        argv.addAll(args);
        return linuxu.command(image, exe, argv, trace, noRewrite ? Map.of() : Map.of(exe, image));
    }
}
