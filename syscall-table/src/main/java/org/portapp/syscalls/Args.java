package org.portapp.syscalls;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Minimal {@code --key value} / {@code --flag} parsing for the two generator mains. */
record Args(Map<String, String> values, Set<String> flags) {
    static Args parse(String[] argv, Set<String> valueKeys, Set<String> flagKeys) {
        Map<String, String> values = new HashMap<>();
        Set<String> flags = new HashSet<>();
        for (int i = 0; i < argv.length; i++) {
            String k = argv[i];
            String v = null;
            int eq = k.indexOf('=');
            if (k.startsWith("--") && eq > 0) {
                v = k.substring(eq + 1);
                k = k.substring(0, eq);
            }
            if (flagKeys.contains(k) && v == null) {
                flags.add(k);
            } else if (valueKeys.contains(k)) {
                if (v == null) {
                    if (i + 1 >= argv.length) {
                        throw new SyscallTableException("option " + k + " needs a value");
                    }
                    v = argv[++i];
                }
                if (values.put(k, v) != null) {
                    throw new SyscallTableException("option " + k + " given twice");
                }
            } else {
                throw new SyscallTableException("unknown argument '" + argv[i] + "' (options: "
                        + String.join(" ", valueKeys) + " " + String.join(" ", flagKeys) + ")");
            }
        }
        return new Args(Map.copyOf(values), Set.copyOf(flags));
    }

    String value(String key) {
        return values.get(key);
    }

    String required(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new SyscallTableException("missing required option " + key);
        }
        return v;
    }

    boolean flag(String key) {
        return flags.contains(key);
    }
}
