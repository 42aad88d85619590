/*
 * libportapp-x86: the native half of org.portapp.x86 (see NativeDecoder.java).
 *
 * One JNI call decodes a whole code range with Zydis 4 (linear sweep) and hands
 * the per-instruction facts back as a handful of primitive arrays, because a
 * foreign call per instruction would cost more than the decoding itself
 * (busybox's .text is ~400k instructions).
 *
 * Facts per instruction (the Java side turns them into DecodedCode):
 *   offset from the start of the range, length, kind (InsnKind ordinal),
 *   GPR read/write masks (bit = Reg ordinal, RAX=0 .. R15=15),
 *   value op (ValueOp ordinal) with destination/source register,
 *   disp32 offset, rip-relative flag, and one 64-bit "aux" value that is the
 *   branch target for JMP/JCC/CALL rel and the constant for MOV_IMM (an
 *   instruction never has both).
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>

/* Must match the Java enums' ordinals (InsnKind, ValueOp). */
enum { K_INVALID, K_SYSCALL, K_JMP, K_JCC, K_CALL, K_JMP_INDIRECT, K_CALL_INDIRECT,
       K_RET, K_TRAP, K_OTHER };
enum { V_NONE, V_MOV_IMM, V_MOV_REG, V_ZERO, V_UNKNOWN_WRITE };

enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

/* Growable struct-of-arrays in C memory; copied once into exact-size Java arrays. */
typedef struct {
    size_t n, cap;
    jint *off;
    jbyte *len, *kind, *vop, *vdst, *vsrc, *disp, *rip;
    jint *regs;          /* written << 16 | read */
    jlong *aux;
} Out;

static void out_free(Out *o)
{
    free(o->off); free(o->len); free(o->kind); free(o->vop); free(o->vdst);
    free(o->vsrc); free(o->disp); free(o->rip); free(o->regs); free(o->aux);
}

static int out_grow(Out *o, size_t cap)
{
#define GROW(f) do { void *p = realloc(o->f, cap * sizeof *o->f); if (!p) return 0; o->f = p; } while (0)
    GROW(off); GROW(len); GROW(kind); GROW(vop); GROW(vdst); GROW(vsrc);
    GROW(disp); GROW(rip); GROW(regs); GROW(aux);
#undef GROW
    o->cap = cap;
    return 1;
}

/* Zydis enumerates the 64-bit GPRs in encoding order, which is Reg's order. */
static int gpr_index(ZydisRegister r)
{
    /* Fast exit for everything that is not a GPR (none, flags, rip, vector ...):
       the sweep asks this for every operand, and Zydis lists GPR8..GPR64 as
       one contiguous block of its enum. */
    if (r < ZYDIS_REGISTER_AL || r > ZYDIS_REGISTER_R15) {
        return -1;
    }
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15) {
        return (int)(big - ZYDIS_REGISTER_RAX);
    }
    return -1;      /* rip, flags, segment, vector, x87, mask ... : not tracked */
}

static int reg_width(ZydisRegister r)
{
    return (int)ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
}

static int is_reg(const ZydisDecodedOperand *op)
{
    return op->type == ZYDIS_OPERAND_TYPE_REGISTER;
}

static int has_rel_imm(const ZydisDecodedOperand *op)
{
    return op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative;
}

static jbyte classify(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_SYSCALL:
        return K_SYSCALL;
    /* sysenter and int 0x80 enter the kernel too, but through the 32-bit ABI:
       not sites the rewriter handles, so they count as traps. */
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT1:
    case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO: case ZYDIS_MNEMONIC_HLT:
    case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2:
        return K_TRAP;
    case ZYDIS_MNEMONIC_JMP:
        return in->operand_count_visible > 0 && has_rel_imm(&ops[0]) ? K_JMP : K_JMP_INDIRECT;
    case ZYDIS_MNEMONIC_CALL:
        return in->operand_count_visible > 0 && has_rel_imm(&ops[0]) ? K_CALL : K_CALL_INDIRECT;
    case ZYDIS_MNEMONIC_RET: case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
        return K_RET;
    default:
        /* Jcc, jrcxz and loop* are all COND_BR with one relative immediate. */
        if (in->meta.category == ZYDIS_CATEGORY_COND_BR
                && in->operand_count_visible > 0 && has_rel_imm(&ops[0])) {
            return K_JCC;
        }
        return K_OTHER;
    }
}

/*
 * What the instruction does to its explicit destination register (the first
 * explicit operand, if it is a written GPR). Every other register write is
 * only in the write mask, which stays the authority for invalidation.
 */
static void value_op(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
                     jbyte *vop, jbyte *vdst, jbyte *vsrc, jlong *aux)
{
    *vop = V_NONE; *vdst = -1; *vsrc = -1;
    if (in->operand_count_visible == 0) {
        return;
    }
    const ZydisDecodedOperand *d = &ops[0];
    if (!is_reg(d) || !(d->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
        return;
    }
    int dst = gpr_index(d->reg.value);
    if (dst < 0) {
        return;
    }
    *vdst = (jbyte)dst;
    *vop = V_UNKNOWN_WRITE;
    int w = reg_width(d->reg.value);
    /* Only 32- and 64-bit writes define the whole register (32-bit writes
       zero-extend); 8/16-bit writes merge into the old value. A conditional
       write (cmov) is never a known value either. */
    if ((w != 32 && w != 64) || !(d->actions & ZYDIS_OPERAND_ACTION_WRITE)
            || in->operand_count_visible < 2) {
        return;
    }
    const ZydisDecodedOperand *s = &ops[1];
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            /* Zydis already sign-extends `mov r/m64, imm32` to 64 bits. */
            uint64_t v = s->imm.value.u;
            if (w == 32) {
                v &= 0xffffffffu;
            }
            *vop = V_MOV_IMM;
            *aux = (jlong)v;
        } else if (is_reg(s) && reg_width(s->reg.value) == w && gpr_index(s->reg.value) >= 0) {
            *vop = V_MOV_REG;
            *vsrc = (jbyte)gpr_index(s->reg.value);
        }
        break;
    case ZYDIS_MNEMONIC_XOR:
    case ZYDIS_MNEMONIC_SUB:
        if (is_reg(s) && s->reg.value == d->reg.value) {
            *vop = V_ZERO;
        }
        break;
    default:
        break;
    }
}

static void decode_one(const ZydisDecoder *dec, const uint8_t *p, size_t avail,
                       uint64_t addr, Out *o)
{
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    size_t i = o->n;

    o->vop[i] = V_NONE; o->vdst[i] = -1; o->vsrc[i] = -1;
    o->disp[i] = -1; o->rip[i] = 0; o->regs[i] = 0; o->aux[i] = 0;

    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, p, avail, &in, ops))) {
        o->len[i] = 1;
        o->kind[i] = K_INVALID;
        return;
    }
    o->len[i] = (jbyte)in.length;
    o->kind[i] = classify(&in, ops);

    uint32_t rd = 0, wr = 0;
    for (unsigned k = 0; k < in.operand_count; k++) {
        const ZydisDecodedOperand *op = &ops[k];
        if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
            int g = gpr_index(op->reg.value);
            if (g >= 0) {
                if (op->actions & ZYDIS_OPERAND_ACTION_MASK_READ) rd |= 1u << g;
                if (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) wr |= 1u << g;
            }
        } else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
            /* Address registers are read whatever the operand's action (lea too). */
            int b = gpr_index(op->mem.base), x = gpr_index(op->mem.index);
            if (b >= 0) rd |= 1u << b;
            if (x >= 0) rd |= 1u << x;
            if (op->mem.base == ZYDIS_REGISTER_RIP) o->rip[i] = 1;
        }
    }
    if (in.mnemonic == ZYDIS_MNEMONIC_SYSCALL) {
        /* Zydis models the CPU (rcx <- rip, r11 <- rflags); the Linux ABI adds
           the number and arguments read and the result written to rax. */
        rd |= 1u << R_RAX | 1u << R_RDI | 1u << R_RSI | 1u << R_RDX
            | 1u << R_R10 | 1u << R_R8 | 1u << R_R9;
        wr |= 1u << R_RAX | 1u << R_RCX | 1u << R_R11;
    }
    o->regs[i] = (jint)(wr << 16 | rd);

    if (in.raw.disp.size == 32) {
        o->disp[i] = (jbyte)in.raw.disp.offset;
    }
    jbyte k = o->kind[i];
    if (k == K_JMP || k == K_JCC || k == K_CALL) {
        ZyanU64 t = 0;
        if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], addr, &t))) {
            o->aux[i] = (jlong)t;
        }
    }
    value_op(&in, ops, &o->vop[i], &o->vdst[i], &o->vsrc[i], &o->aux[i]);
}

static void throw_named(JNIEnv *env, const char *cls, const char *msg)
{
    jclass c = (*env)->FindClass(env, cls);
    if (c) {
        (*env)->ThrowNew(env, c, msg);
    }
}

/* Copies the n collected elements into a new Java array stored at res[idx]; jumps to done on failure. */
#define PUT(kind, jtype, src, idx) do {                                         \
        jtype##Array a = (*env)->New##kind##Array(env, (jsize)o.n);             \
        if (!a) goto done;                                                      \
        (*env)->Set##kind##ArrayRegion(env, a, 0, (jsize)o.n, src);             \
        (*env)->SetObjectArrayElement(env, res, idx, a);                        \
        (*env)->DeleteLocalRef(env, a);                                         \
        if ((*env)->ExceptionCheck(env)) goto done;                             \
    } while (0)

/*
 * Object[] NativeDecoder.decode(byte[] code, int offset, int length, long address)
 * -> { int[] off, byte[] len, byte[] kind, int[] regs, byte[] vop, byte[] vdst,
 *      byte[] vsrc, byte[] disp, byte[] rip, long[] aux }
 * Bounds are checked on the Java side.
 */
JNIEXPORT jobjectArray JNICALL
Java_org_portapp_x86_NativeDecoder_decode(JNIEnv *env, jclass cls, jbyteArray code,
                                          jint offset, jint length, jlong address)
{
    (void)cls;
    jobjectArray res = NULL;
    Out o;
    memset(&o, 0, sizeof o);
    /* A private copy instead of a critical section: the sweep takes tens of
       milliseconds on a big .text and must not hold up the garbage collector. */
    uint8_t *buf = malloc(length > 0 ? (size_t)length : 1);
    if (!buf || !out_grow(&o, (size_t)length / 3 + 16)) {
        throw_named(env, "java/lang/OutOfMemoryError", "portapp-x86: decode buffers");
        goto done;
    }
    (*env)->GetByteArrayRegion(env, code, offset, length, (jbyte *)buf);
    if ((*env)->ExceptionCheck(env)) {
        goto done;
    }

    ZydisDecoder dec;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) {
        throw_named(env, "java/lang/IllegalStateException", "portapp-x86: ZydisDecoderInit failed");
        goto done;
    }
    size_t pos = 0, end = (size_t)length;
    while (pos < end) {
        if (o.n == o.cap && !out_grow(&o, o.cap * 2)) {
            throw_named(env, "java/lang/OutOfMemoryError", "portapp-x86: decode buffers");
            goto done;
        }
        o.off[o.n] = (jint)pos;
        decode_one(&dec, buf + pos, end - pos, (uint64_t)address + pos, &o);
        pos += (uint8_t)o.len[o.n];
        o.n++;
    }

    jclass objc = (*env)->FindClass(env, "java/lang/Object");
    if (!objc) goto done;
    res = (*env)->NewObjectArray(env, 10, objc, NULL);
    if (!res) goto done;
    PUT(Int, jint, o.off, 0);
    PUT(Byte, jbyte, o.len, 1);
    PUT(Byte, jbyte, o.kind, 2);
    PUT(Int, jint, o.regs, 3);
    PUT(Byte, jbyte, o.vop, 4);
    PUT(Byte, jbyte, o.vdst, 5);
    PUT(Byte, jbyte, o.vsrc, 6);
    PUT(Byte, jbyte, o.disp, 7);
    PUT(Byte, jbyte, o.rip, 8);
    PUT(Long, jlong, o.aux, 9);
done:
    free(buf);
    out_free(&o);
    if ((*env)->ExceptionCheck(env)) {
        return NULL;
    }
    return res;
}

/* String NativeDecoder.format(byte[] code, int offset, int length, long address) */
JNIEXPORT jstring JNICALL
Java_org_portapp_x86_NativeDecoder_format(JNIEnv *env, jclass cls, jbyteArray code,
                                          jint offset, jint length, jlong address)
{
    (void)cls;
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    jint n = length < (jint)sizeof buf ? length : (jint)sizeof buf;
    (*env)->GetByteArrayRegion(env, code, offset, n, (jbyte *)buf);
    if ((*env)->ExceptionCheck(env)) {
        return NULL;
    }
    ZydisDecoder dec;
    ZydisFormatter fmt;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    char text[256];
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))
            || !ZYAN_SUCCESS(ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL))) {
        throw_named(env, "java/lang/IllegalStateException", "portapp-x86: Zydis init failed");
        return NULL;
    }
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, (ZyanUSize)n, &in, ops))) {
        return (*env)->NewStringUTF(env, "(bad)");
    }
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible,
                                                      text, sizeof text, (ZyanU64)address, NULL))) {
        return (*env)->NewStringUTF(env, "(unformattable)");
    }
    return (*env)->NewStringUTF(env, text);
}
