package org.portapp.platform.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a built kernel's bytes go: the sizes of its symbols ({@code nm -S -l} of the
 * unstripped kernel) summed by the part of the source they come from (a shim module, the
 * x86_64 base, the qemu glue, the generated tables). A symbol is placed by its line
 * information, else by the compilation unit that defines its name in the debug information
 * ({@code readelf --debug-dump=info}). With LTO a function inlined into another counts for
 * the caller's part, so the split is approximate; what no part claims is "other".
 *
 * @param parts    bytes per part, largest first (text, data and bss alike)
 * @param total    bytes of every sized symbol
 * @param stripped bytes of the kernel file without symbols and debug information
 */
public record KernelSizes(Map<String, Long> parts, long total, long stripped) {
    public KernelSizes {
        parts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parts));
    }

    private static final Pattern NM = Pattern.compile("^([0-9a-f]+) ([0-9a-f]+) ([A-Za-z]) (\\S+)(?:\\s+(\\S+):\\d+)?$");

    /** Measures {@code kernel}; null when nm or readelf are missing or fail (sizes are informative only). */
    public static KernelSizes of(Path kernel) {
        try {
            Map<String, String> definedIn = definitions(run(List.of("readelf", "--debug-dump=info", kernel.toString())));
            Map<String, Long> bytes = new HashMap<>();
            long total = 0;
            for (String line : run(List.of("nm", "-S", "-l", kernel.toString()))) {
                Matcher m = NM.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                long size = Long.parseLong(m.group(2), 16);
                String name = m.group(4);
                String part = m.group(5) != null ? partOf(m.group(5)) : null;
                if (part == null) {
                    String base = name.indexOf('.') > 0 ? name.substring(0, name.indexOf('.')) : name;
                    part = definedIn.getOrDefault(base, "other");
                }
                bytes.merge(part, size, Long::sum);
                total += size;
            }
            Map<String, Long> sorted = new LinkedHashMap<>();
            bytes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            Path tmp = java.nio.file.Files.createTempFile("kernel", ".stripped");
            try {
                run(List.of("strip", "--strip-all", "-o", tmp.toString(), kernel.toString()));
                return new KernelSizes(sorted, total, java.nio.file.Files.size(tmp));
            } finally {
                java.nio.file.Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** "vfs" for posix-shim/vfs/..., "x86_64" and "qemu" for the platforms, "tables" for generated files. */
    static String partOf(String path) {
        if (path.contains("/gen/")) {
            return "generated tables";
        }
        Matcher m = Pattern.compile("posix-shim/([^/]+)/").matcher(path);
        if (m.find()) {
            return m.group(1);
        }
        m = Pattern.compile("platforms/([^/]+)/").matcher(path);
        if (m.find()) {
            return "platform " + m.group(1);
        }
        return null;
    }

    /**
     * Name of every file-scope function and variable defined in the debug information, to its
     * part. A definition that refers to its declaration ({@code DW_AT_specification}: an
     * extern variable defined in its .c file) takes the declaration's name.
     */
    private static Map<String, String> definitions(List<String> dump) {
        Map<String, String> out = new HashMap<>();
        Map<String, String> declared = new HashMap<>(); // DIE offset -> name
        String cuName = null;
        String cuPart = null;
        boolean inCu = false;
        String offset = null;
        String name = null;
        String spec = null;
        boolean declaration = false;
        boolean topLevel = false;
        Pattern die = Pattern.compile("^\\s*<(\\d+)><([0-9a-f]+)>: Abbrev Number: (\\d+)(?: \\((DW_TAG_\\w+)\\))?");
        for (String line : dump) {
            Matcher d = die.matcher(line);
            if (d.find()) {
                if (topLevel && offset != null && name != null) {
                    declared.put(offset, name);
                }
                String defined = name != null ? name : spec != null ? declared.get(spec) : null;
                if (topLevel && defined != null && !declaration && cuPart != null) {
                    String old = out.putIfAbsent(defined, cuPart);
                    if (old != null && !old.equals(cuPart)) {
                        out.put(defined, "other"); // the same static name in two parts: no guess
                    }
                }
                name = null;
                spec = null;
                declaration = false;
                String tag = d.group(4) == null ? "" : d.group(4);
                offset = "0x" + d.group(2);
                inCu = tag.equals("DW_TAG_compile_unit");
                topLevel = d.group(1).equals("1")
                        && (tag.equals("DW_TAG_variable") || tag.equals("DW_TAG_subprogram"));
                if (inCu) {
                    cuName = null;
                    cuPart = null;
                }
                continue;
            }
            String value = line.substring(line.lastIndexOf(':') + 1).trim();
            if (inCu && line.contains("DW_AT_name")) {
                cuName = value;
                cuPart = partOf(value);
            } else if (inCu && line.contains("DW_AT_comp_dir") && cuName != null && cuPart == null) {
                cuPart = partOf(value + "/" + cuName);
            } else if (topLevel && line.contains("DW_AT_name")) {
                name = value;
            } else if (topLevel && line.contains("DW_AT_specification")) {
                spec = value.replaceAll("[<>]", "");
            } else if (topLevel && line.contains("DW_AT_declaration")) {
                declaration = true;
            }
        }
        return out;
    }

    private static List<String> run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (InputStream in = p.getInputStream()) {
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                lines.add(l);
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException(cmd.get(0) + " failed");
        }
        return lines;
    }
}
