package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class MemorySizeTest {
    private final MemorySize size = new MemorySize();

    @Test
    void plainNumbersAreMebibytesAndUnitsAreHonoured() {
        assertEquals(64, size.convert("64"));
        assertEquals(64, size.convert("64M"));
        assertEquals(64, size.convert("64m"));
        assertEquals(64, size.convert("64MiB"));
        assertEquals(2048, size.convert("2G"));
    }

    @Test
    void nonsenseIsAClearError() {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> size.convert("lots"));
        assertEquals("'lots' is not a memory size (MiB: 128, 128M or 1G)", e.getMessage());
        assertThrows(TypeConversionException.class, () -> size.convert("0"));
        assertThrows(TypeConversionException.class, () -> size.convert("-5M"));
    }
}
