/* The initial stack and auxiliary vector (shim/initstack.h), laid out as
 * Linux does: from the top, the execfn string, the copied argv/envp strings
 * (when copied), "x86_64" (AT_PLATFORM), 16 random bytes on a 16-byte
 * boundary (AT_RANDOM), then argc, argv[], NULL, envp[], NULL, auxv pairs
 * ending with AT_NULL at a 16-byte aligned stack pointer. */
#include "shim/shim.h"
#include "shim/elf.h"
#include "shim/initstack.h"

#define NAUX 20

/* Copies strs[n-1] down to strs[0] below *s (so strs[0] ends up lowest and
 * they lie in order); 0 if one would go below floor. */
static int copy_down(char **s, const char *floor, int n, const char *const *strs)
{
    for (int i = n - 1; i >= 0; i--) {
        size_t len = strlen(strs[i]) + 1;
        if (*s - len < floor)
            return 0;
        *s -= len;
        memcpy(*s, strs[i], len);
    }
    return 1;
}

/* Writes the n pointers of a vector and its NULL: to the copies laid out
 * from *copy upwards (advancing it), or to the caller's strings. */
static uint64_t *put_vector(uint64_t *w, int n, const char *const *strs, const char **copy)
{
    for (int i = 0; i < n; i++) {
        if (*copy) {
            *w++ = (uint64_t)*copy;
            *copy += strlen(*copy) + 1;
        } else {
            *w++ = (uint64_t)strs[i];
        }
    }
    *w++ = 0;
    return w;
}

enum initstack_status initstack_build(const struct initstack *in, uint64_t *sp, uint64_t *words)
{
    char *s = in->top;
    *words = 0;
    size_t n = strlen(in->execfn) + 1;
    s -= n;
    memcpy(s, in->execfn, n);
    char *execfn = s;
    if (in->copy_strings) {
        if (!copy_down(&s, in->floor, in->envc, in->envp))
            return INITSTACK_ENV_TOO_LARGE;
        if (!copy_down(&s, in->floor, in->argc, in->argv))
            return INITSTACK_ARGS_TOO_LARGE;
    }
    const char *copies = in->copy_strings ? s : NULL;   /* argv[0]'s copy, then the rest in order */
    s -= 7;
    memcpy(s, "x86_64", 7);
    char *platform = s;
    s = (char *)((uintptr_t)s & ~(uintptr_t)15) - 16;
    memcpy(s, in->random, 16);
    char *random = s;

    const struct initstack_aux *a = &in->aux;
    const uint64_t aux[NAUX][2] = {
        { AT_PHDR, a->phdr },
        { AT_PHENT, sizeof(Elf64_Phdr) },
        { AT_PHNUM, a->phnum },
        { AT_PAGESZ, 4096 },
        { AT_BASE, a->base },
        { AT_FLAGS, 0 },
        { AT_ENTRY, a->entry },
        { AT_UID, a->uid },
        { AT_EUID, a->euid },
        { AT_GID, a->gid },
        { AT_EGID, a->egid },
        { AT_SECURE, 0 },
        { AT_RANDOM, (uint64_t)random },
        { AT_HWCAP, a->hwcap },
        { AT_HWCAP2, a->hwcap2 },
        { AT_PLATFORM, (uint64_t)platform },
        { AT_EXECFN, (uint64_t)execfn },
        { AT_CLKTCK, a->clktck },
        { AT_MINSIGSTKSZ, a->minsigstksz },
        { AT_NULL, 0 },
    };
    *words = 1 + (uint64_t)in->argc + 1 + (uint64_t)in->envc + 1 + 2 * NAUX;
    uint64_t top = ((uint64_t)s - *words * 8) & ~15ull;
    if (top < (uint64_t)in->floor)
        return INITSTACK_TOO_LARGE;
    uint64_t *w = (uint64_t *)top;
    *w++ = (uint64_t)in->argc;
    w = put_vector(w, in->argc, in->argv, &copies);
    w = put_vector(w, in->envc, in->envp, &copies);
    for (unsigned i = 0; i < NAUX; i++) {
        *w++ = aux[i][0];
        *w++ = aux[i][1];
    }
    *sp = top;
    return INITSTACK_OK;
}
