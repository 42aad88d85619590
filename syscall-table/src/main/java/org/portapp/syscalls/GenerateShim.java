package org.portapp.syscalls;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * CLI: {@code GenerateShim --shim-dir DIR --out OUTDIR (--modules a,b,c | --all)
 * [--platform linuxu|qemu]}. Writes shim_syscalls.h, shim_table.c and
 * shim_entries.S for the given modules (or syscalls: names in --modules may
 * also be syscall names) plus everything they need; with --platform, only
 * modules available on that platform are considered. Exits 0 on success, 2
 * with a one-line message on error.
 */
public final class GenerateShim {
    private GenerateShim() {
    }

    public static void main(String[] argv) {
        try {
            String msg = run(argv);
            System.out.println(msg);
        } catch (SyscallTableException e) {
            System.err.println("GenerateShim: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Does the work; returns the success line. */
    static String run(String[] argv) {
        Args a = Args.parse(argv, Set.of("--shim-dir", "--out", "--modules", "--platform"), Set.of("--all"));
        Path shimDir = Path.of(a.required("--shim-dir"));
        Path out = Path.of(a.required("--out"));
        boolean all = a.flag("--all");
        String list = a.value("--modules");
        if (all == (list != null)) {
            throw new SyscallTableException("give exactly one of --modules a,b,c or --all");
        }
        SyscallTable table = SyscallTable.load();
        ShimModules modules = ShimModules.scan(shimDir, table);
        String platform = a.value("--platform");
        if (platform != null) {
            modules = modules.forPlatform(platform);
        }
        List<ShimModule> selected;
        if (all) {
            selected = modules.modules();
        } else {
            Set<String> wanted = new LinkedHashSet<>();
            Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(wanted::add);
            if (wanted.isEmpty()) {
                throw new SyscallTableException("--modules is empty");
            }
            selected = modules.resolve(wanted);
        }
        new ShimGenerator(table, selected).writeTo(out);
        return "GenerateShim: wrote " + out.resolve(ShimGenerator.HEADER) + ", " + ShimGenerator.TABLE + ", "
                + ShimGenerator.ENTRIES + " for modules: "
                + (selected.isEmpty() ? "(none)" : String.join(" ", selected.stream().map(ShimModule::name).toList()));
    }
}
