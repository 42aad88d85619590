package org.portapp.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SyscallTableTest {
    /** The installed kernel UAPI header (linux-libc-dev) of this machine. */
    static final Path UNISTD_64 = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");

    private final SyscallTable table = SyscallTable.load();

    static Map<Integer, String> hostSyscalls() throws IOException {
        Pattern def = Pattern.compile("#define __NR_(\\w+) (\\d+)");
        Map<Integer, String> nrs = new TreeMap<>();
        for (String line : Files.readAllLines(UNISTD_64)) {
            Matcher m = def.matcher(line.strip());
            if (m.matches()) {
                nrs.put(Integer.parseInt(m.group(2)), m.group(1));
            }
        }
        return nrs;
    }

    @Test
    void hasEveryNumberOfThisMachinesUnistdHeaderWithTheSameName() throws IOException {
        Map<Integer, String> host = hostSyscalls();
        assertTrue(host.size() > 350, "parsed only " + host.size() + " syscalls from " + UNISTD_64);
        for (Map.Entry<Integer, String> e : host.entrySet()) {
            Syscall s = table.byNumber(e.getKey())
                    .orElseThrow(() -> new AssertionError("nr " + e.getKey() + " (" + e.getValue() + ") missing"));
            assertEquals(e.getValue(), s.name(), "name of nr " + e.getKey());
        }
    }

    @Test
    void coversTheWholeLinuxRangesAndNothingInTheGaps() {
        for (int nr = 0; nr <= 334; nr++) {
            assertTrue(table.byNumber(nr).isPresent(), "nr " + nr);
        }
        for (int nr = 335; nr < 424; nr++) {
            assertFalse(table.byNumber(nr).isPresent(), "gap nr " + nr);
        }
        for (int nr = 424; nr <= 462; nr++) {
            assertTrue(table.byNumber(nr).isPresent(), "nr " + nr);
        }
        assertEquals("mseal", table.byNumber(462).orElseThrow().name());
        // every number is either Linux's (<= 462) or a port-app extension
        for (Syscall s : table.all()) {
            assertTrue(s.nr() <= 462 || s.isExtension(), s.toString());
        }
    }

    @Test
    void argumentCountsAreSaneAndArgumentsAreDeclarations() {
        for (Syscall s : table.all()) {
            assertTrue(s.argCount() >= 0 && s.argCount() <= 6, s.signature());
            for (Argument a : s.args()) {
                assertTrue(a.name().matches("[A-Za-z_]\\w*"), s.signature());
                assertFalse(a.type().isBlank(), s.signature());
                assertFalse(a.type().contains("__user"), s.signature());
            }
        }
    }

    @Test
    void wellKnownSignatures() {
        Syscall read = table.byName("read").orElseThrow();
        assertEquals(0, read.nr());
        assertEquals(List.of(new Argument("unsigned int", "fd"), new Argument("char *", "buf"),
                new Argument("size_t", "count")), read.args());
        assertEquals("read(unsigned int fd, char *buf, size_t count)", read.signature());
        assertEquals(6, table.byName("mmap").orElseThrow().argCount());
        assertEquals(1, table.byName("exit_group").orElseThrow().argCount());
        assertEquals(231, table.byName("exit_group").orElseThrow().nr());
        assertEquals(6, table.byName("futex").orElseThrow().argCount());
        assertEquals(5, table.byName("clone").orElseThrow().argCount());
        assertEquals("unsigned long", table.byName("clone").orElseThrow().args().get(0).type());
        assertEquals(0, table.byName("getpid").orElseThrow().argCount());
        assertEquals(new Argument("struct iocb **", "iocbpp"), table.byName("io_submit").orElseThrow().args().get(2));
        assertEquals(4, table.byName("openat").orElseThrow().argCount());
        assertEquals(2, table.byName("arch_prctl").orElseThrow().argCount());
    }

    @Test
    void portappNoopIsTheOnlyExtension() {
        Syscall noop = table.byName("portapp_noop").orElseThrow();
        assertEquals(500, noop.nr());
        assertEquals(0, noop.argCount());
        assertTrue(noop.isExtension());
        assertEquals(500, table.maxNumber());
        assertEquals(1, table.all().stream().filter(Syscall::isExtension).count());
    }

    @Test
    void lookupsAndImmutability() {
        assertTrue(table.byName("no_such_call").isEmpty());
        assertTrue(table.byNumber(-1).isEmpty());
        assertTrue(table.byNumber(400).isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> table.all().clear());
        assertThrows(UnsupportedOperationException.class,
                () -> table.byName("read").orElseThrow().args().clear());
        SyscallTableException e = assertThrows(SyscallTableException.class, () -> table.require("nope"));
        assertTrue(e.getMessage().contains("nope"));
        List<Syscall> all = table.all();
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1).nr() < all.get(i).nr(), "ascending");
        }
    }

    private static String parseError(String text) {
        return assertThrows(SyscallTableException.class,
                () -> SyscallTable.parse(new StringReader(text), "t.tsv")).getMessage();
    }

    @Test
    void malformedTablesAreRejectedWithFileAndLine() {
        assertEquals(2, SyscallTable.parse(new StringReader("# c\n0\tread\t1\tint fd\n\n1\tfoo\t0\n"), "t.tsv").size());
        assertTrue(parseError("0\tread\t2\tint fd\n").startsWith("t.tsv:1: read: argument count says 2"));
        assertTrue(parseError("# x\n0\tread\t0\n0\twrite\t0\n").startsWith("t.tsv:3: number 0 is already used by read"));
        assertTrue(parseError("0\tread\t0\n1\tread\t0\n").startsWith("t.tsv:2: name read is already used"));
        assertTrue(parseError("0\tread\t7\ta a\tb b\tc c\td d\te e\tf f\tg g\n").contains("outside 0..6"));
        assertTrue(parseError("x\tread\t0\n").contains("t.tsv:1: syscall number 'x' is not a number"));
        assertTrue(parseError("0\tread\t1\t*\n").contains("is not a 'type name' declaration"));
        assertTrue(parseError("0\tread\t1\tfd\n").contains("is not a 'type name' declaration"));
        assertTrue(parseError("0\tre ad\t0\n").contains("not a valid syscall name"));
        assertTrue(parseError("# only comments\n").contains("empty"));
    }
}
