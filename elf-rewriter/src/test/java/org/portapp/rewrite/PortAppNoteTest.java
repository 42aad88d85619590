package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.portapp.elf.ElfFile;
import org.portapp.elf.Note;
import org.portapp.x86.Decoder;

/** The note and slot table formats of docs/architecture.md, written and read by one class. */
class PortAppNoteTest {

    @Test
    void encodesTheDocumentedLayout() {
        PortAppNote n = new PortAppNote(0x123456789aL, 3, 7, 2, new int[] {-1, 0, 60});
        ByteBuffer b = ByteBuffer.wrap(n.encode()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PortAppNote.SIZE, b.capacity());
        assertEquals(8, b.getInt(0), "namesz: \"PortApp\\0\"");
        assertEquals(24, b.getInt(4), "descsz");
        assertEquals(0x50410001, b.getInt(8));
        assertEquals("PortApp\0", new String(n.encode(), 12, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0x123456789aL, b.getLong(20));
        assertEquals(3, b.getInt(28));
        assertEquals(7, b.getInt(32));
        assertEquals(2, b.getInt(36));
        assertEquals(0, b.getInt(40), "reserved");

        ByteBuffer t = ByteBuffer.wrap(n.slotTable()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3 * 12, t.capacity());
        assertEquals(0, t.getLong(0) | t.getLong(8) | t.getLong(16), "targets are the loader's to fill");
        assertEquals(-1, t.getInt(24));
        assertEquals(0, t.getInt(28));
        assertEquals(60, t.getInt(32));
    }

    @Test
    void decodesWhatTheRewriterWrote() {
        RewriteResult r = Analysis.of(Path.of("/bin/busybox"), Decoder.load()).rewrite();
        ElfFile out = ElfFile.parse("busybox.rw", r.output());
        PortAppNote note = PortAppNote.of(out).orElseThrow();
        assertEquals(r.slots(), note.nslots());
        assertEquals(r.rewritten(), note.sitesRewritten());
        assertEquals(r.leftAsSyscall(), note.sitesLeft());
        assertEquals(note.nslots(), note.slotNumbers().length);
        assertTrue(Arrays.stream(note.slotNumbers()).anyMatch(nr -> nr == 60), "exit");
        // encoding the decoded note gives back the file's bytes
        Note raw = out.notes().stream().filter(x -> x.owner().equals(PortAppNote.OWNER)).findFirst().orElseThrow();
        assertArrayEquals(raw.desc(), Arrays.copyOfRange(note.encode(), 20, PortAppNote.SIZE));
        long at = out.vaddrToOffset(note.slotsVaddr()).orElseThrow();
        assertArrayEquals(note.slotTable(), out.bytesAt(at, note.slotTable().length));
        assertTrue(PortAppNote.of(ElfFile.read(Path.of("/bin/busybox"))).isEmpty(), "the original has none");
    }
}
