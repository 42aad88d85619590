/*
 * sysvipc: System V shared memory as PostgreSQL uses it, and its errors.
 * shmget by key (IPC_CREAT, IPC_EXCL, lookups, size checks) and private,
 * shmat/shmdt, memory shared with a fork child both ways, shm_nattch
 * counting attachments (fork adds one, the child's exit drops it),
 * IPC_STAT's fields, IPC_SET, MAP_SHARED|MAP_ANONYMOUS memory first
 * touched by a fork child, IPC_RMID of an attached segment (its key
 * gone at once, its memory alive until the last detach, its id then
 * stale), and the errnos of bad ids, addresses and commands.
 * Prints only facts that do not depend on pids, keys or addresses.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static unsigned long nattch(int id)
{
    struct shmid_ds ds;
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    return (unsigned long)ds.shm_nattch;
}

int main(void)
{
    /* A key of this run's own, so parallel native runs do not meet. */
    key_t key = (key_t)(0x50470000 | (getpid() & 0xffff));
    CHECK_ERR("shmget absent key", shmget(key, 4096, 0600), ENOENT);
    CHECK_ERR("shmget size 0", shmget(key, 0, IPC_CREAT | 0600), EINVAL);
    int id = shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    printf("created: yes\n");
    CHECK_ERR("shmget IPC_EXCL again", shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK(shmget(key, 100, 0600) == id);
    CHECK(shmget(key, 0, 0) == id);
    printf("lookup by key: same id\n");
    CHECK_ERR("shmget larger than the segment", shmget(key, 20000, 0600), EINVAL);

    struct shmid_ds ds;
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("stat: size %zu mode %o nattch %lu cpid-is-me %s key-matches %s owner-is-me %s\n",
           (size_t)ds.shm_segsz, (unsigned)(ds.shm_perm.mode & 0777), (unsigned long)ds.shm_nattch,
           ds.shm_cpid == getpid() ? "yes" : "no", ds.shm_perm.__key == key ? "yes" : "no",
           ds.shm_perm.uid == geteuid() && ds.shm_perm.cuid == geteuid() ? "yes" : "no");

    CHECK_ERR("shmat misaligned", (long)(intptr_t)shmat(id, (void *)0x10001, 0) == -1 ? -1 : 0, EINVAL);
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1);
    printf("attached: zero-filled %s, nattch %lu\n", p[0] == 0 && p[9999] == 0 ? "yes" : "no", nattch(id));
    strcpy(p, "from the parent");

    /* A second attachment of the same segment: the same memory elsewhere. */
    char *q = shmat(id, NULL, SHM_RDONLY);
    CHECK(q != (void *)-1 && q != p);
    printf("second attachment sees: %s, nattch %lu\n", q, nattch(id));
    CHECK(shmdt(q) == 0);

    /* Shared anonymous memory (PostgreSQL's main segment) whose pages nobody
     * touched before the fork: the child's first touch is shared too. */
    char *anon = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);

    /* fork: the child inherits the attachment (nattch counts it) and writes. */
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        printf("child sees: %s\n", p);
        strcpy(p + 100, "from the child");
        strcpy(anon + 700000, "touched first by the child");
        fflush(stdout);
        CHECK(write(ready[1], "x", 1) == 1);
        char c;
        CHECK(read(done[0], &c, 1) == 1);
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    printf("parent sees: %s, nattch with the child %lu\n", p + 100, nattch(id));
    printf("shared anonymous memory: %s\n", anon + 700000);
    CHECK(write(done[1], "x", 1) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("nattch after the child exited %lu\n", nattch(id));

    /* IPC_SET changes the mode. */
    ds.shm_perm.mode = 0640;
    CHECK(shmctl(id, IPC_SET, &ds) == 0);
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("mode after IPC_SET %o\n", (unsigned)(ds.shm_perm.mode & 0777));

    /* A private segment is never found by key. */
    int priv = shmget(IPC_PRIVATE, 4096, 0600);
    CHECK(priv >= 0 && priv != id);
    CHECK(shmctl(priv, IPC_RMID, NULL) == 0);
    CHECK_ERR("IPC_STAT of a removed unattached segment", shmctl(priv, IPC_STAT, &ds), EINVAL);

    /* IPC_RMID while attached: the key is gone, the memory stays. */
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    CHECK_ERR("shmget of the removed key", shmget(key, 0, 0), ENOENT);
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("removed but attached: nattch %lu, memory %s\n", (unsigned long)ds.shm_nattch,
           strcmp(p, "from the parent") == 0 ? "intact" : "lost");
    CHECK(shmdt(p) == 0);
    CHECK_ERR("shmdt twice", shmdt(p), EINVAL);
    CHECK_ERR("IPC_STAT after the last detach", shmctl(id, IPC_STAT, &ds), EINVAL);
    CHECK_ERR("shmat of a gone id", (long)(intptr_t)shmat(id, NULL, 0) == -1 ? -1 : 0, EINVAL);
    CHECK_ERR("IPC_STAT of an unknown id", shmctl(0x7fffff, IPC_STAT, &ds), EINVAL);
    CHECK_ERR("shmdt of an unattached address", shmdt((void *)0x10000), EINVAL);
    printf("done\n");
    return 0;
}
