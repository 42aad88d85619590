package org.portapp.elf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Function ranges from {@code .eh_frame}: every FDE's [pc_begin, pc_begin + pc_range).
 * Present even in stripped binaries, these tell where functions start, which a linear
 * sweep alone cannot know when {@code .text} holds data.
 */
public final class EhFrame {
    /** One FDE's code range. */
    public record FunctionRange(long start, long end) {
    }

    private EhFrame() {
    }

    /** Parses the file's .eh_frame; malformed records end the walk (FDEs are hints, not truth). */
    public static List<FunctionRange> functionRanges(ElfFile elf) {
        Optional<SectionHeader> sec = elf.section(".eh_frame");
        if (sec.isEmpty() || sec.get().sh_type() == SectionHeader.SHT_NOBITS || sec.get().sh_size() == 0) {
            return List.of();
        }
        SectionHeader s = sec.get();
        if (s.sh_size() > Integer.MAX_VALUE) {
            return List.of();
        }
        byte[] data = elf.bytesAt(s.sh_offset(), (int) s.sh_size());
        List<FunctionRange> out = new ArrayList<>();
        try {
            new Walker(data, s.sh_addr()).walk(out);
        } catch (RuntimeException malformed) {
            // A corrupt tail: keep what was parsed before it.
        }
        return out;
    }

    /**
     * Landing pads of every function with an LSDA (C++ exceptions, and C built with
     * -fexceptions): the unwinder jumps there, so they are entry points no patch may cover.
     */
    public static List<Long> landingPads(ElfFile elf) {
        Optional<SectionHeader> sec = elf.section(".eh_frame");
        if (sec.isEmpty() || sec.get().sh_type() == SectionHeader.SHT_NOBITS || sec.get().sh_size() == 0
                || sec.get().sh_size() > Integer.MAX_VALUE) {
            return List.of();
        }
        Walker w = new Walker(elf.bytesAt(sec.get().sh_offset(), (int) sec.get().sh_size()), sec.get().sh_addr());
        try {
            w.walk(new ArrayList<>());
        } catch (RuntimeException malformed) {
            // keep the LSDAs found before the corrupt record
        }
        byte[] file = elf.bytes();
        List<Long> pads = new ArrayList<>();
        for (long[] l : w.lsdas) {
            Optional<Long> off = elf.vaddrToOffset(l[0]);
            if (off.isEmpty()) {
                continue;
            }
            try {
                new Walker(file, l[0] - off.get()).callSitePads(off.get().intValue(), l[1], pads);
            } catch (RuntimeException malformed) {
                // an LSDA we cannot read gives no pads; the others still count
            }
        }
        return pads;
    }

    private static final class Walker {
        private final byte[] d;
        private final long baseVaddr;
        private int pos;
        private final Map<Integer, Cie> cies = new HashMap<>();
        /** LSDA addresses found in FDE augmentation data, each with its function start. */
        final List<long[]> lsdas = new ArrayList<>();

        /** What an FDE needs from its CIE: pointer encodings and whether augmentation data follows. */
        private record Cie(int fdeEncoding, int lsdaEncoding, boolean augmented) {
        }

        Walker(byte[] d, long baseVaddr) {
            this.d = d;
            this.baseVaddr = baseVaddr;
        }

        void walk(List<FunctionRange> out) {
            pos = 0;
            while (pos + 4 <= d.length) {
                int recordStart = pos;
                long length = u32();
                if (length == 0) {
                    continue; // zero terminator (may be followed by more in linked objects)
                }
                if (length == 0xffffffffL) {
                    return; // 64-bit DWARF eh_frame records are not produced by x86-64 toolchains
                }
                int contentStart = pos;
                int next = Math.toIntExact(contentStart + length);
                if (next > d.length || next < contentStart) {
                    return;
                }
                long id = u32();
                if (id == 0) {
                    cies.put(recordStart, parseCie(next));
                } else {
                    int ciePos = (int) (contentStart - id);
                    Cie cie = cies.get(ciePos);
                    if (cie != null) {
                        long begin = readEncoded(cie.fdeEncoding());
                        long range = readEncoded(cie.fdeEncoding() & 0x0f);
                        if (begin != 0 && range > 0 && range < (1L << 32)) {
                            out.add(new FunctionRange(begin, begin + range));
                            if (cie.augmented()) {
                                uleb(); // augmentation data length
                                if (cie.lsdaEncoding() != 0xff) {
                                    long lsda = readEncoded(cie.lsdaEncoding());
                                    if (lsda != 0) {
                                        lsdas.add(new long[] {lsda, begin});
                                    }
                                }
                            }
                        }
                    }
                }
                pos = next;
            }
        }

        private Cie parseCie(int end) {
            int version = u8();
            StringBuilder aug = new StringBuilder();
            for (int c = u8(); c != 0; c = u8()) {
                aug.append((char) c);
            }
            if (aug.indexOf("eh") >= 0) {
                pos += 8;
            }
            uleb(); // code alignment
            sleb(); // data alignment
            if (version == 1) {
                u8();
            } else {
                uleb();
            }
            int fdeEncoding = 0; // DW_EH_PE_absptr
            int lsdaEncoding = 0xff; // DW_EH_PE_omit
            boolean augmented = aug.length() > 0 && aug.charAt(0) == 'z';
            if (augmented) {
                uleb(); // augmentation data length
                for (int i = 1; i < aug.length(); i++) {
                    switch (aug.charAt(i)) {
                        case 'L' -> lsdaEncoding = u8();
                        case 'R' -> fdeEncoding = u8();
                        case 'P' -> readEncoded(u8());
                        case 'S', 'B' -> { }
                        default -> i = aug.length();
                    }
                }
            }
            if (pos > end) {
                throw new IllegalStateException("CIE overruns its record");
            }
            return new Cie(fdeEncoding, lsdaEncoding, augmented);
        }

        private long readEncoded(int enc) {
            if (enc == 0xff) {
                return 0;
            }
            long fieldVaddr = baseVaddr + pos;
            long v = switch (enc & 0x0f) {
                case 0x00, 0x04, 0x0c -> u64();
                case 0x01 -> uleb();
                case 0x02 -> u16();
                case 0x03 -> u32();
                case 0x09 -> sleb();
                case 0x0a -> (short) u16();
                case 0x0b -> (int) u32();
                default -> throw new IllegalStateException("unknown pointer encoding " + enc);
            };
            if ((enc & 0x70) == 0x10) {
                v += fieldVaddr;
            }
            return v;
        }

        /** Parses the LSDA at file position {@code at}: header, then the call-site table's pads. */
        void callSitePads(int at, long functionStart, List<Long> pads) {
            pos = at;
            int lpStartEncoding = u8();
            long lpStart = lpStartEncoding == 0xff ? functionStart : readEncoded(lpStartEncoding);
            if (u8() != 0xff) { // type table encoding, then its offset
                uleb();
            }
            int callSiteEncoding = u8();
            long tableLength = uleb();
            long end = pos + tableLength;
            if (end > d.length) {
                return;
            }
            while (pos < end) {
                readEncoded(callSiteEncoding & 0x0f); // start
                readEncoded(callSiteEncoding & 0x0f); // length
                long pad = readEncoded(callSiteEncoding & 0x0f);
                uleb(); // action
                if (pad != 0) {
                    pads.add(lpStart + pad);
                }
            }
        }

        private int u8() {
            return d[pos++] & 0xff;
        }

        private int u16() {
            return u8() | u8() << 8;
        }

        private long u32() {
            return (u8() | (long) u8() << 8 | (long) u8() << 16 | (long) u8() << 24);
        }

        private long u64() {
            return u32() | u32() << 32;
        }

        private long uleb() {
            return leb128(false);
        }

        private long sleb() {
            return leb128(true);
        }

        private long leb128(boolean signed) {
            long result = 0;
            int shift = 0;
            int b;
            do {
                b = u8();
                if (shift < 64) {
                    result |= (long) (b & 0x7f) << shift;
                }
                shift += 7;
            } while ((b & 0x80) != 0);
            if (signed && shift < 64 && (b & 0x40) != 0) {
                result |= -1L << shift;
            }
            return result;
        }
    }
}
