package org.portapp.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A host program the app may exec ({@code --exec-closure PATH}), with everything it needs to
 * run in the guest, as file mappings at the same guest paths as on the host: an ELF
 * executable with its whole dynamic closure ({@link Closure}: ld.so, libraries and their
 * aliases) and the runtime files the app's own closure would get ({@link RuntimeFiles}:
 * CPython's standard library, libraries dlopen'ed by name); a {@code #!} script with its
 * interpreter's, followed as Linux does (up to 4 levels). The ELF objects among the mappings
 * are rewritten and counted in the footprint like any user ELF file, so the kernel gets the
 * modules the exec'd program needs.
 */
public final class ExecClosure {
    /** Linux's binfmt_script nesting limit (ELOOP beyond). */
    private static final int MAX_SCRIPT_DEPTH = 4;

    private ExecClosure() {
    }

    /**
     * The mappings for {@code program} (a host path).
     *
     * @throws ImageException (one line) if it does not exist, is not a regular file, is neither
     *                        an x86-64 ELF executable nor a {@code #!} script, or some object of
     *                        its closure is missing
     */
    public static List<FileMapping> of(Path program) {
        Map<String, FileMapping> out = new LinkedHashMap<>();
        add(program.toAbsolutePath().normalize(), out, 0, program);
        return new ArrayList<>(out.values());
    }

    private static void add(Path p, Map<String, FileMapping> out, int depth, Path asked) {
        String what = "--exec-closure " + asked + ": ";
        if (!Files.exists(p)) {
            throw new ImageException(what + (p.equals(asked.toAbsolutePath().normalize()) ? "no such file"
                    : "its interpreter " + p + " does not exist"));
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new ImageException(what + p + " is not a readable regular file");
        }
        if (Image.isElfObject(p)) {
            Closure c = Closure.of(p);
            c.files().forEach((guest, host) -> out.putIfAbsent(guest, new FileMapping(host, guest)));
            if (c.interpreter().isEmpty()) {
                return;     // static: what the app itself would get (UnikernelApp adds runtime files to dynamic apps only)
            }
            for (FileMapping m : RuntimeFiles.of(p)) {
                out.putIfAbsent(m.guest(), m);
            }
            for (FileMapping m : RuntimeFiles.dlopened(c)) {
                out.putIfAbsent(m.guest(), m);
            }
            return;
        }
        String interpreter = interpreter(p);
        if (interpreter == null) {
            throw new ImageException(what + p + " is neither an x86-64 ELF executable nor a #! script");
        }
        if (!interpreter.startsWith("/")) {
            throw new ImageException(what + p + " names its interpreter '" + interpreter + "' by a relative path: "
                    + "give that program with its own --exec-closure");
        }
        if (depth >= MAX_SCRIPT_DEPTH) {
            throw new ImageException(what + "more than " + MAX_SCRIPT_DEPTH + " levels of #! interpreters");
        }
        out.putIfAbsent(p.toString(), new FileMapping(p, p.toString()));
        add(Path.of(interpreter), out, depth + 1, asked);
    }

    /** The interpreter a {@code #!} line names (its first word; Linux reads at most 255 bytes), or null without one. */
    static String interpreter(Path script) {
        byte[] head = new byte[256];
        int n;
        try (InputStream in = Files.newInputStream(script)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ImageException(script + ": cannot read: " + e.getMessage(), e);
        }
        if (n < 2 || head[0] != '#' || head[1] != '!') {
            return null;
        }
        String line = new String(head, 2, n - 2, StandardCharsets.ISO_8859_1);
        int nl = line.indexOf('\n');
        line = (nl >= 0 ? line.substring(0, nl) : line).strip();
        return line.split("[ \t]+", 2)[0];
    }
}
