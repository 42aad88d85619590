package org.portapp.x86;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test-only: instruction starts, "(bad)" places and syscall sites as GNU objdump sees them. */
record Objdump(TreeSet<Long> starts, TreeSet<Long> bad, TreeSet<Long> syscalls) {

    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t(\\S*)");

    static Objdump disassemble(Path file, String section) throws IOException, InterruptedException {
        // -z: also list runs of zero bytes instead of eliding them as "...".
        Process p = new ProcessBuilder("objdump", "-d", "-z", "--no-show-raw-insn", "-j", section,
                file.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        TreeSet<Long> starts = new TreeSet<>();
        TreeSet<Long> bad = new TreeSet<>();
        TreeSet<Long> syscalls = new TreeSet<>();
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                Matcher m = LINE.matcher(line);
                if (!m.find()) {
                    continue;
                }
                long a = Long.parseUnsignedLong(m.group(1), 16);
                starts.add(a);
                if (line.contains("(bad)")) {
                    bad.add(a);
                }
                if (m.group(2).equals("syscall")) {
                    syscalls.add(a);
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException("objdump failed on " + file + " (exit " + p.exitValue() + ")");
        }
        return new Objdump(starts, bad, syscalls);
    }
}
