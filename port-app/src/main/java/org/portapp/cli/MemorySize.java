package org.portapp.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A guest memory size for {@code -m}, in MiB: {@code 128}, {@code 128M}, {@code 128MiB} or {@code 1G}
 * (QEMU's and docker's spellings), so {@code -m 64M} means what it says.
 */
final class MemorySize implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        long factor = 1;
        if (v.endsWith("IB")) {
            v = v.substring(0, v.length() - 2);
        } else if (v.endsWith("B")) {
            v = v.substring(0, v.length() - 1);
        }
        if (v.endsWith("G")) {
            factor = 1024;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("M")) {
            v = v.substring(0, v.length() - 1);
        }
        try {
            long mib = Long.parseLong(v) * factor;
            if (mib <= 0 || mib > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) mib;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a memory size (MiB: 128, 128M or 1G)");
        }
    }
}
