package org.portapp.rewrite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.portapp.elf.ElfException;
import org.portapp.elf.ElfFile;
import org.portapp.elf.Note;

/**
 * The PortApp note of a rewritten file and its slot table (docs/architecture.md, "The
 * rewritten ELF"): the one Java definition of both formats. The rewriter encodes them with
 * {@link #encode()} and {@link #slotTable()}; every reader decodes them with {@link #of}.
 *
 * @param slotsVaddr     link-time virtual address of the slot table
 * @param nslots         number of slots
 * @param sitesRewritten sites patched to call through a slot
 * @param sitesLeft      sites left as {@code syscall}
 * @param slotNumbers    {@code nr[]} of the slot table: one syscall number per slot, or
 *                       {@link #GENERIC_UNBOUNDED} / {@link #GENERIC_BOUNDED}
 */
public record PortAppNote(long slotsVaddr, int nslots, int sitesRewritten, int sitesLeft, int[] slotNumbers) {
    public static final String OWNER = "PortApp";
    public static final int TYPE = 0x50410001;
    /** slots_vaddr (u64), nslots, sites_rewritten, sites_left, reserved (u32 each). */
    public static final int DESC_SIZE = 24;
    /** The whole note entry: header, "PortApp\0" (8 bytes, already 4-aligned), descriptor. */
    public static final int SIZE = Note.HEADER_SIZE + 8 + DESC_SIZE;
    /** Bytes per slot in the table: {@code u64 target} plus {@code i32 nr}. */
    public static final int SLOT_SIZE = 12;
    /** Generic slot for sites whose number is known only at run time and may be anything. */
    public static final int GENERIC_UNBOUNDED = -1;
    /** Generic slot for sites whose possible numbers all have slots of their own. */
    public static final int GENERIC_BOUNDED = -2;

    /** The note entry as it goes into a PT_NOTE segment (little endian). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(OWNER.length() + 1).putInt(DESC_SIZE).putInt(TYPE);
        b.put(OWNER.getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
        b.putLong(slotsVaddr).putInt(nslots).putInt(sitesRewritten).putInt(sitesLeft).putInt(0);
        return b.array();
    }

    /**
     * The slot table as it goes into the file: {@code u64 target[nslots]} (zero: the loader
     * fills them) followed by {@code i32 nr[nslots]}.
     */
    public byte[] slotTable() {
        ByteBuffer b = ByteBuffer.allocate(SLOT_SIZE * nslots).order(ByteOrder.LITTLE_ENDIAN);
        b.position(8 * nslots);
        for (int nr : slotNumbers) {
            b.putInt(nr);
        }
        return b.array();
    }

    /** The note of {@code elf} (with its slot table's numbers), or empty if the file was not rewritten. */
    public static Optional<PortAppNote> of(ElfFile elf) {
        for (Note n : elf.notes()) {
            if (n.type() != TYPE || !n.owner().equals(OWNER) || n.desc().length < DESC_SIZE) {
                continue;
            }
            ByteBuffer d = ByteBuffer.wrap(n.desc()).order(ByteOrder.LITTLE_ENDIAN);
            long slots = d.getLong(0);
            int count = d.getInt(8);
            if (count < 0) {
                throw new ElfException(elf.origin() + ": PortApp note counts " + Integer.toUnsignedString(count)
                        + " slots");
            }
            int[] nrs = new int[count];
            if (count > 0) {
                long at = elf.vaddrToOffset(slots).orElseThrow(() -> new ElfException(
                        elf.origin() + ": PortApp slot table lies outside the file"));
                ByteBuffer t = ByteBuffer.wrap(elf.bytesAt(at + 8L * count, 4 * count)).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < count; k++) {
                    nrs[k] = t.getInt();
                }
            }
            return Optional.of(new PortAppNote(slots, count, d.getInt(12), d.getInt(16), nrs));
        }
        return Optional.empty();
    }
}
