package org.portapp.x86;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Hand-assembled byte sequences with known meaning (checked against objdump by hand). */
class DecoderTest {
    private static final long BASE = 0x401000L;
    private final Decoder decoder = Decoder.load();

    private DecodedCode one(String hex) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));
        DecodedCode d = decoder.decode(code, 0, code.length, BASE);
        assertEquals(1, d.count(), () -> hex + " should be one instruction");
        assertEquals(code.length, d.length(0));
        assertEquals(BASE, d.address(0));
        return d;
    }

    private static int mask(Reg... regs) {
        int m = 0;
        for (Reg r : regs) {
            m |= r.bit();
        }
        return m;
    }

    @Test
    void movImm32ZeroExtends() {
        DecodedCode d = one("b8 3c 00 00 00");              // mov eax, 60
        assertEquals(InsnKind.OTHER, d.kind(0));
        assertEquals(ValueOp.MOV_IMM, d.valueOp(0));
        assertEquals(Reg.RAX.ordinal(), d.valueDst(0));
        assertEquals(-1, d.valueSrc(0));
        assertEquals(60, d.valueImm(0));
        assertEquals(mask(Reg.RAX), d.regsWritten(0));
        assertEquals(0, d.regsRead(0));
        assertEquals(0, d.branchTarget(0));
        assertEquals(0xffffffffL, one("b8 ff ff ff ff").valueImm(0));   // mov eax, -1
        DecodedCode r10 = one("41 ba 0e 00 00 00");          // mov r10d, 14
        assertEquals(Reg.R10.ordinal(), r10.valueDst(0));
        assertEquals(14, r10.valueImm(0));
    }

    @Test
    void movImm64SignExtendsAndMovabs() {
        DecodedCode d = one("48 c7 c0 ff ff ff ff");          // mov rax, -1
        assertEquals(ValueOp.MOV_IMM, d.valueOp(0));
        assertEquals(0xffffffffffffffffL, d.valueImm(0));
        DecodedCode abs = one("48 b8 88 77 66 55 44 33 22 11"); // movabs rax, 0x1122334455667788
        assertEquals(ValueOp.MOV_IMM, abs.valueOp(0));
        assertEquals(0x1122334455667788L, abs.valueImm(0));
        assertEquals(-1, abs.dispOffset(0));
    }

    @Test
    void zeroIdioms() {
        for (String hex : new String[] {"31 c0", "48 31 c0", "29 c0", "48 29 c0", "33 c0"}) {
            DecodedCode d = one(hex);
            assertEquals(ValueOp.ZERO, d.valueOp(0), hex);
            assertEquals(Reg.RAX.ordinal(), d.valueDst(0), hex);
            assertEquals(mask(Reg.RAX), d.regsWritten(0), hex);
        }
        DecodedCode r = one("45 31 d2");                     // xor r10d, r10d
        assertEquals(ValueOp.ZERO, r.valueOp(0));
        assertEquals(Reg.R10.ordinal(), r.valueDst(0));
        assertEquals(ValueOp.UNKNOWN_WRITE, one("31 c8").valueOp(0));    // xor eax, ecx
        assertEquals(ValueOp.UNKNOWN_WRITE, one("66 31 c0").valueOp(0)); // xor ax, ax (16-bit)
    }

    @Test
    void registerCopies() {
        DecodedCode d = one("89 f8");                         // mov eax, edi
        assertEquals(ValueOp.MOV_REG, d.valueOp(0));
        assertEquals(Reg.RAX.ordinal(), d.valueDst(0));
        assertEquals(Reg.RDI.ordinal(), d.valueSrc(0));
        assertEquals(mask(Reg.RDI), d.regsRead(0));
        assertEquals(mask(Reg.RAX), d.regsWritten(0));
        DecodedCode q = one("48 89 f8");                      // mov rax, rdi
        assertEquals(ValueOp.MOV_REG, q.valueOp(0));
        assertEquals(Reg.RDI.ordinal(), q.valueSrc(0));
        DecodedCode r = one("4c 89 c7");                      // mov rdi, r8
        assertEquals(Reg.RDI.ordinal(), r.valueDst(0));
        assertEquals(Reg.R8.ordinal(), r.valueSrc(0));
        assertEquals(ValueOp.UNKNOWN_WRITE, one("66 89 f8").valueOp(0)); // mov ax, di
    }

    @Test
    void partialAndOtherWrites() {
        DecodedCode al = one("b0 01");                        // mov al, 1
        assertEquals(ValueOp.UNKNOWN_WRITE, al.valueOp(0));
        assertEquals(Reg.RAX.ordinal(), al.valueDst(0));
        assertEquals(mask(Reg.RAX), al.regsWritten(0));
        DecodedCode ah = one("b4 01");                        // mov ah, 1
        assertEquals(ValueOp.UNKNOWN_WRITE, ah.valueOp(0));
        assertEquals(Reg.RAX.ordinal(), ah.valueDst(0));
        DecodedCode cmov = one("0f 44 c1");                   // cmove eax, ecx
        assertEquals(ValueOp.UNKNOWN_WRITE, cmov.valueOp(0));
        assertTrue(Reg.RCX.in(cmov.regsRead(0)));
        DecodedCode pop = one("58");                          // pop rax
        assertEquals(ValueOp.UNKNOWN_WRITE, pop.valueOp(0));
        assertEquals(mask(Reg.RAX, Reg.RSP), pop.regsWritten(0));
        DecodedCode push = one("50");                         // push rax
        assertEquals(ValueOp.NONE, push.valueOp(0));
        assertEquals(-1, push.valueDst(0));
        assertEquals(mask(Reg.RAX, Reg.RSP), push.regsRead(0));
        assertEquals(mask(Reg.RSP), push.regsWritten(0));
        DecodedCode store = one("48 89 03");                  // mov [rbx], rax
        assertEquals(ValueOp.NONE, store.valueOp(0));
        assertEquals(mask(Reg.RAX, Reg.RBX), store.regsRead(0));
        assertEquals(0, store.regsWritten(0));
        DecodedCode cpuid = one("0f a2");                     // implicit writes only
        assertEquals(ValueOp.NONE, cpuid.valueOp(0));
        assertEquals(mask(Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX), cpuid.regsWritten(0));
    }

    @Test
    void syscall() {
        DecodedCode d = one("0f 05");
        assertEquals(InsnKind.SYSCALL, d.kind(0));
        int w = d.regsWritten(0);
        assertTrue(Reg.RAX.in(w) && Reg.RCX.in(w) && Reg.R11.in(w), Integer.toHexString(w));
        assertEquals(mask(Reg.RAX, Reg.RDI, Reg.RSI, Reg.RDX, Reg.R10, Reg.R8, Reg.R9), d.regsRead(0));
        assertEquals(ValueOp.NONE, d.valueOp(0));
        assertEquals(InsnKind.TRAP, one("cd 80").kind(0));     // int 0x80
        assertEquals(InsnKind.TRAP, one("0f 34").kind(0));     // sysenter
    }

    @Test
    void ripRelativeAndDisplacements() {
        DecodedCode d = one("48 8b 05 10 00 00 00");          // mov rax, [rip+0x10]
        assertTrue(d.ripRelative(0));
        assertEquals(3, d.dispOffset(0));
        assertEquals(ValueOp.UNKNOWN_WRITE, d.valueOp(0));
        assertEquals(0, d.regsRead(0));
        DecodedCode lea = one("48 8d 3d f9 ff ff ff");        // lea rdi, [rip-7]
        assertTrue(lea.ripRelative(0));
        assertEquals(3, lea.dispOffset(0));
        DecodedCode sib = one("48 8b 44 8b 08");              // mov rax, [rbx+rcx*4+8]: disp8
        assertFalse(sib.ripRelative(0));
        assertEquals(-1, sib.dispOffset(0));
        assertEquals(mask(Reg.RBX, Reg.RCX), sib.regsRead(0));
        DecodedCode d32 = one("8b 84 24 00 01 00 00");        // mov eax, [rsp+0x100]
        assertFalse(d32.ripRelative(0));
        assertEquals(3, d32.dispOffset(0));
        assertEquals(mask(Reg.RSP), d32.regsRead(0));
        DecodedCode imm = one("c7 05 f0 ff ff ff 01 00 00 00"); // mov dword [rip-0x10], 1
        assertTrue(imm.ripRelative(0));
        assertEquals(2, imm.dispOffset(0));
    }

    @Test
    void branches() {
        DecodedCode call = one("e8 10 00 00 00");
        assertEquals(InsnKind.CALL, call.kind(0));
        assertEquals(BASE + 5 + 0x10, call.branchTarget(0));
        assertEquals(BASE, one("e8 fb ff ff ff").branchTarget(0));   // call to itself
        DecodedCode jcc = one("74 05");
        assertEquals(InsnKind.JCC, jcc.kind(0));
        assertEquals(BASE + 7, jcc.branchTarget(0));
        assertEquals(BASE + 6 - 0x100, one("0f 85 00 ff ff ff").branchTarget(0)); // jne rel32
        assertEquals(InsnKind.JCC, one("e3 fe").kind(0));      // jrcxz
        assertEquals(InsnKind.JCC, one("e2 fe").kind(0));      // loop
        assertEquals(BASE, one("e2 fe").branchTarget(0));
        DecodedCode jmp = one("eb fe");
        assertEquals(InsnKind.JMP, jmp.kind(0));
        assertEquals(BASE, jmp.branchTarget(0));
        assertEquals(BASE + 5 + 0x1000, one("e9 00 10 00 00").branchTarget(0));
        DecodedCode ind = one("ff e0");                       // jmp rax
        assertEquals(InsnKind.JMP_INDIRECT, ind.kind(0));
        assertEquals(0, ind.branchTarget(0));
        assertEquals(mask(Reg.RAX), ind.regsRead(0));
        DecodedCode icall = one("ff 15 00 10 00 00");         // call [rip+0x1000]
        assertEquals(InsnKind.CALL_INDIRECT, icall.kind(0));
        assertTrue(icall.ripRelative(0));
        assertEquals(2, icall.dispOffset(0));
        assertEquals(InsnKind.JMP_INDIRECT, one("3e ff e0").kind(0));  // notrack jmp rax
        assertEquals(InsnKind.RET, one("c3").kind(0));
        assertEquals(InsnKind.RET, one("c2 08 00").kind(0));
        assertEquals(InsnKind.RET, one("f3 c3").kind(0));     // repz ret
    }

    @Test
    void traps() {
        for (String hex : new String[] {"f4", "0f 0b", "cc", "cd 03", "cd 29", "0f 34"}) {
            assertEquals(InsnKind.TRAP, one(hex).kind(0), hex);
        }
        assertEquals(InsnKind.OTHER, one("90").kind(0));
        assertEquals(InsnKind.OTHER, one("f3 0f 1e fa").kind(0)); // endbr64
    }

    @Test
    void invalidBytesAreSkippedOneAtATime() {
        byte[] code = HexFormat.of().parseHex("06" + "90" + "e800");   // push es (invalid), nop, truncated call
        DecodedCode d = decoder.decode(code, 0, code.length, BASE);
        assertEquals(4, d.count());
        assertEquals(InsnKind.INVALID, d.kind(0));
        assertEquals(1, d.length(0));
        assertEquals(InsnKind.OTHER, d.kind(1));
        assertEquals(BASE + 1, d.address(1));
        assertEquals(InsnKind.INVALID, d.kind(2));
        assertEquals(InsnKind.INVALID, d.kind(3));
        assertEquals(BASE + 3, d.address(3));
        assertEquals(0, d.regsWritten(0));
        assertEquals(ValueOp.NONE, d.valueOp(0));
        assertEquals(-1, d.dispOffset(0));
        assertEquals("(bad)", decoder.format(code, 0, code.length, BASE));
    }

    @Test
    void rangeOffsetsAndIndexAt() {
        // junk, then: mov eax,60 ; xor edi,edi ; syscall ; then junk not included
        byte[] code = HexFormat.of().parseHex("ffff" + "b83c000000" + "31ff" + "0f05" + "ffff");
        DecodedCode d = decoder.decode(code, 2, 9, 0x1000);
        assertEquals(3, d.count());
        assertArrayEquals(new long[] {0x1000, 0x1005, 0x1007},
                new long[] {d.address(0), d.address(1), d.address(2)});
        assertEquals(0, d.indexAt(0x1000));
        assertEquals(1, d.indexAt(0x1005));
        assertEquals(2, d.indexAt(0x1007));
        assertEquals(-1, d.indexAt(0x1001));
        assertEquals(-1, d.indexAt(0x0fff));
        assertEquals(-1, d.indexAt(0x1009));
        assertEquals(-1, d.indexAt(Long.MIN_VALUE));
        assertEquals(InsnKind.SYSCALL, d.kind(2));
        assertEquals(ValueOp.ZERO, d.valueOp(1));
        assertEquals(Reg.RDI.ordinal(), d.valueDst(1));
        assertEquals(0, decoder.decode(code, 0, 0, 0).count());
        assertThrows(IndexOutOfBoundsException.class, () -> decoder.decode(code, 10, 5, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> decoder.format(code, -1, 2, 0));
    }

    @Test
    void formatsIntelSyntax() {
        byte[] mov = HexFormat.of().parseHex("b83c000000");
        assertEquals("mov eax, 0x3C", decoder.format(mov, 0, mov.length, BASE));
        byte[] rip = HexFormat.of().parseHex("488b0510000000");
        assertEquals("mov rax, [0x0000000000001017]", decoder.format(rip, 0, rip.length, 0x1000));
        byte[] call = HexFormat.of().parseHex("e810000000");
        assertEquals("call 0x0000000000001015", decoder.format(call, 0, call.length, 0x1000));
    }

    @Test
    void loadReturnsOneSharedDecoderUsableFromManyThreads() throws Exception {
        assertSame(decoder, Decoder.load());
        byte[] code = HexFormat.of().parseHex("b83c000000".repeat(10_000));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            @SuppressWarnings("unchecked")
            Future<DecodedCode>[] fs = new Future[8];
            for (int i = 0; i < fs.length; i++) {
                fs[i] = pool.submit(() -> decoder.decode(code, 0, code.length, 0));
            }
            for (Future<DecodedCode> f : fs) {
                DecodedCode d = f.get();
                assertEquals(10_000, d.count());
                assertEquals(60, d.valueImm(9_999));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
