/*
 * PVH start_info (xen/include/public/arch-x86/hvm/start_info.h).  All
 * pointers in it are physical; we read them through the direct map, which
 * the early page tables provide for the first 4 GiB.  The data is copied into struct boot_info so
 * nothing later depends on the firmware's memory staying intact, except the
 * module contents (the initrd), whose frames mm_init reserves.
 */
#include "arch.h"

#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;      /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry { uint64_t paddr, size, cmdline_paddr, reserved; };
struct hvm_memmap_table_entry { uint64_t addr, size; uint32_t type, reserved; };

static char cmdline_copy[16384];   /* the app's argv and environment travel here */
static char module_cmdlines[BOOT_MAX_MODULES][128];

static void copy_str(char *dst, size_t size, uint64_t phys)
{
    dst[0] = '\0';
    if (!phys)
        return;
    const char *s = phys_to_virt(phys);
    size_t i = 0;
    for (; i + 1 < size && s[i]; i++)
        dst[i] = s[i];
    dst[i] = '\0';
}

void pvh_parse(uint64_t start_info_phys, struct boot_info *bi)
{
    memset(bi, 0, sizeof *bi);
    bi->start_info_phys = start_info_phys;
    bi->cmdline = cmdline_copy;
    const struct hvm_start_info *si = phys_to_virt(start_info_phys);
    if (!start_info_phys || si->magic != HVM_START_MAGIC)
        panic("PVH start_info at %#lx has bad magic %#x", start_info_phys,
              start_info_phys ? si->magic : 0);

    copy_str(cmdline_copy, sizeof cmdline_copy, si->cmdline_paddr);
    bi->rsdp_phys = si->rsdp_paddr;

    if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
        const struct hvm_memmap_table_entry *e = phys_to_virt(si->memmap_paddr);
        for (uint32_t i = 0; i < si->memmap_entries && bi->nregions < BOOT_MAX_REGIONS; i++) {
            if (!e[i].size)
                continue;
            bi->regions[bi->nregions++] = (struct mem_region){ e[i].addr, e[i].size, e[i].type };
        }
    }
    if (!bi->nregions)
        panic("PVH start_info has no memory map (version %u); the VMM is too old", si->version);

    const struct hvm_modlist_entry *m = phys_to_virt(si->modlist_paddr);
    for (uint32_t i = 0; si->modlist_paddr && i < si->nr_modules && i < BOOT_MAX_MODULES; i++) {
        copy_str(module_cmdlines[i], sizeof module_cmdlines[i], m[i].cmdline_paddr);
        bi->modules[i] = (struct boot_module){
            .phys = m[i].paddr, .size = m[i].size,
            .data = phys_to_virt(m[i].paddr), .cmdline = module_cmdlines[i],
        };
        bi->nmodules++;
    }
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - word);
        if (wlen >= klen && strncmp(word, key, klen) == 0 &&
            (wlen == klen || word[klen] == '=')) {
            const char *v = wlen == klen ? word + klen : word + klen + 1;
            size_t vlen = (size_t)(p - v), i = 0;
            for (; i + 1 < size && i < vlen; i++)
                buf[i] = v[i];
            if (size)
                buf[i] = '\0';
            return true;
        }
    }
    return false;
}
