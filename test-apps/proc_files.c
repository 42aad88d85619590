/*
 * proc_files: what a process's files are across fork and exec, and /proc
 * for more than one process.
 *
 *   - fork shares open file descriptions: the child's write moves the
 *     parent's offset (also through a dup'ed fd);
 *   - cwd and umask are per process;
 *   - a pipe's reader sees EOF only once every process closed the write end;
 *   - execve closes O_CLOEXEC fds and keeps the others (with their shared
 *     offset); the new image's /proc/self/exe and cmdline are its own;
 *   - /proc/self is the caller's pid in parent and child; /proc/PID of a
 *     live child has its stat, status, cmdline, comm, cwd and fd/; /proc
 *     lists it; after it is reaped it is gone.
 *
 * Prints only facts that are the same natively and under port-app (no pids).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define FILE_PATH "/tmp/proc_files.txt"

static const char *yn(int b) { return b ? "yes" : "no"; }

static off_t offset(int fd)
{
    off_t o = lseek(fd, 0, SEEK_CUR);
    CHECK(o >= 0);
    return o;
}

/* Reads a whole small file; returns its length. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t got = 0;
    ssize_t r;
    while (got < size - 1 && (r = read(fd, buf + got, size - 1 - got)) > 0)
        got += (size_t)r;
    close(fd);
    buf[got] = 0;
    return (ssize_t)got;
}

static int wait_ok(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int link_is_pid(const char *path, pid_t pid)
{
    char buf[64], want[32];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return 0;
    buf[n] = 0;
    snprintf(want, sizeof want, "%d", (int)pid);
    return strcmp(buf, want) == 0;
}

/* The image execve'd by exec_keeps_fds: argv = self "exec-child" PLAIN CLOEXEC EXE. */
static int exec_child(char **argv)
{
    int plain = atoi(argv[2]), cloexec = atoi(argv[3]);
    printf("exec: plain fd open %s, offset %ld\n", yn(fcntl(plain, F_GETFD) == 0), (long)offset(plain));
    errno = 0;
    int r = fcntl(cloexec, F_GETFD);
    printf("exec: O_CLOEXEC fd -> %s\n", r == -1 ? errno_name(errno) : "open");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = 0;
    printf("exec: /proc/self/exe is the exec'd file %s\n", yn(strcmp(exe, argv[4]) == 0));
    /* It ends with the argv execve was given (on linuxu the loader's own
     * arguments come first: the host sees the loader run). */
    char cmd[4096], want[4096];
    ssize_t len = slurp("/proc/self/cmdline", cmd, sizeof cmd);
    size_t wl = 0;
    for (int i = 0; i < 5; i++) {
        size_t l = strlen(argv[i]) + 1;
        CHECK(wl + l <= sizeof want);
        memcpy(want + wl, argv[i], l);
        wl += l;
    }
    printf("exec: /proc/self/cmdline ends with the new argv %s\n",
           yn(len >= (ssize_t)wl && memcmp(cmd + len - wl, want, wl) == 0));
    CHECK(write(plain, "X", 1) == 1);
    return 0;
}

static void shared_offsets(int fd)
{
    CHECK(write(fd, "abc", 3) == 3);
    int dup_fd = dup(fd);
    CHECK(dup_fd >= 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        _exit(write(fd, "de", 2) == 2 && write(dup_fd, "f", 1) == 1 ? 0 : 1);
    }
    printf("fork: child ok %s\n", yn(wait_ok(pid)));
    printf("fork: parent's offset after the child's writes %ld (dup %ld)\n", (long)offset(fd), (long)offset(dup_fd));
    close(dup_fd);
    char buf[16] = { 0 };
    CHECK(pread(fd, buf, sizeof buf - 1, 0) == 6);
    printf("fork: file holds %s\n", buf);
}

static void cwd_umask(void)
{
    char before[PATH_MAX], after[PATH_MAX];
    CHECK(getcwd(before, sizeof before));
    mode_t m = umask(022);
    umask(m);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        umask(077);
        _exit(chdir("/tmp") == 0 ? 0 : 1);
    }
    printf("cwd: child ok %s\n", yn(wait_ok(pid)));
    CHECK(getcwd(after, sizeof after));
    printf("cwd: parent's cwd unchanged %s\n", yn(strcmp(before, after) == 0));
    mode_t now = umask(m);
    printf("umask: parent's umask unchanged %s\n", yn(now == m));
}

static void pipe_eof(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(write(p[1], "hello", 5) == 5 ? 0 : 1);
    }
    close(p[1]);
    char buf[16];
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], buf + got, sizeof buf - got)) > 0)
        got += (size_t)r;
    printf("pipe: read %zu bytes, then %s\n", got, r == 0 ? "EOF" : errno_name(errno));
    close(p[0]);
    printf("pipe: child ok %s\n", yn(wait_ok(pid)));
}

static int listed(pid_t pid)
{
    char name[32];
    snprintf(name, sizeof name, "%d", (int)pid);
    DIR *d = opendir("/proc");
    CHECK(d != NULL);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

static void proc_of_child(void)
{
    printf("proc: /proc/self is the parent's pid %s\n", yn(link_is_pid("/proc/self", getpid())));
    int go[2], ready[2];
    CHECK(pipe(go) == 0 && pipe(ready) == 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char ok = link_is_pid("/proc/self", getpid()) && getpid() != parent ? 'y' : 'n';
        if (chdir("/tmp") != 0)
            ok = 'c';
        CHECK(write(ready[1], &ok, 1) == 1);
        char c;
        _exit(read(go[0], &c, 1) == 1 ? 0 : 1);    /* alive until told */
    }
    char ok;
    CHECK(read(ready[0], &ok, 1) == 1);
    printf("proc: the child's /proc/self is its own pid %s\n", yn(ok == 'y'));
    char path[64], buf[4096];
    printf("proc: /proc lists the child %s\n", yn(listed(pid)));

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    int spid, sppid;
    char state;
    char *close_paren = strrchr(buf, ')');
    CHECK(close_paren && sscanf(buf, "%d", &spid) == 1 && sscanf(close_paren + 2, "%c %d", &state, &sppid) == 2);
    printf("proc: stat pid and ppid right %s, state running or sleeping %s\n", yn(spid == pid && sppid == parent),
           yn(state == 'R' || state == 'S'));

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    char want[64];
    snprintf(want, sizeof want, "\nPPid:\t%d\n", (int)parent);
    printf("proc: status has the child's PPid %s\n", yn(strstr(buf, want) != NULL));

    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    CHECK(slurp(path, buf, sizeof buf) > 0);
    printf("proc: comm %s", buf);

    char mine[4096], its[4096];
    ssize_t ml = slurp("/proc/self/cmdline", mine, sizeof mine);
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t il = slurp(path, its, sizeof its);
    printf("proc: cmdline inherited %s\n", yn(ml > 0 && ml == il && memcmp(mine, its, (size_t)ml) == 0));

    snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = 0;
    printf("proc: child's cwd %s\n", buf);

    /* Its fd/ lists the ends it inherited. */
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, go[0]);
    struct stat st;
    printf("proc: child's fd/ has an inherited pipe %s\n", yn(stat(path, &st) == 0 && S_ISFIFO(st.st_mode)));

    CHECK(write(go[1], "x", 1) == 1);
    printf("proc: child ok %s\n", yn(wait_ok(pid)));
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    errno = 0;
    printf("proc: reaped child's /proc entry -> %s\n", access(path, F_OK) == 0 ? "still there" : errno_name(errno));
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
}

static void exec_keeps_fds(int fd, const char *self)
{
    off_t before = offset(fd);
    int cfd = open(FILE_PATH, O_RDONLY | O_CLOEXEC);
    CHECK(cfd >= 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", fd);
        snprintf(b, sizeof b, "%d", cfd);
        char *args[] = { (char *)self, "exec-child", a, b, (char *)self, NULL };
        execv("/proc/self/exe", args);
        _exit(127);
    }
    printf("exec: child ok %s\n", yn(wait_ok(pid)));
    printf("exec: the new image's write moved the parent's offset by %ld\n", (long)(offset(fd) - before));
    printf("exec: parent's O_CLOEXEC fd still open %s\n", yn(fcntl(cfd, F_GETFD) == FD_CLOEXEC));
    close(cfd);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "exec-child") == 0)
        return exec_child(argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    shared_offsets(fd);
    cwd_umask();
    pipe_eof();
    proc_of_child();
    exec_keeps_fds(fd, self);
    close(fd);
    unlink(FILE_PATH);
    printf("done\n");
    return 0;
}
