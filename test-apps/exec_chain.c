/* exec_chain: execve and execveat without fork, as a chain of images.
 *
 *   exec_chain                the errors (each returns, the process goes on),
 *                             then execve of itself with new argv/envp
 *   exec_chain stage2 ...     what the new image got (argv, envp, AT_EXECFN,
 *                             /proc/self/exe, close-on-exec, signal
 *                             dispositions), then execve of a #! script whose
 *                             interpreter is another script whose interpreter
 *                             is this program
 *   exec_chain stage3 ...     the argv the two #! levels built, then execve of
 *                             a #!/bin/sh script, which execs this program
 *   exec_chain stage4 ...     removes the scratch directory and exits 7
 *
 * Paths differ between runs (the scratch directory, where this program
 * is), so they are printed as <tmp> and <self>. Needs /bin/sh (busybox's in
 * the unikernel's image: --file /bin/busybox:/bin/sh). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

static char self[4096], tmp[4096];

/* s with the scratch directory and this program's path as placeholders. */
static void print_path(const char *s)
{
    size_t sl = strlen(self), tl = strlen(tmp);
    if (sl && strcmp(s, self) == 0)
        printf("<self>");
    else if (tl && strncmp(s, tmp, tl) == 0)
        printf("<tmp>%s", s + tl);
    else
        printf("%s", s);
}

static void print_argv(const char *stage, int argc, char **argv)
{
    printf("%s: argc=%d", stage, argc);
    for (int i = 0; i < argc; i++) {
        printf(" [");
        print_path(argv[i]);
        printf("]");
    }
    printf("\n");
}

/* execve of the next stage; returns only on failure. */
static void exec_next(const char *what, const char *path, char **argv)
{
    printf("exec %s\n", what);
    fflush(stdout);
    execve(path, argv, environ);
    printf("FAIL execve of %s returned (errno %s)\n", what, errno_name(errno));
    exit(1);
}

static void print_execfn(const char *stage)
{
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("%s: AT_EXECFN ", stage);
    print_path(execfn ? execfn : "(none)");
    printf("\n");
}

static long execveat_(int fd, const char *path, char *const argv[], char *const envp[], int flags)
{
    return syscall(SYS_execveat, fd, path, argv, envp, flags);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    CHECK(close(fd) == 0);
    CHECK(chmod(path, mode) == 0);
}

static char *in_tmp(const char *name)
{
    static char bufs[8][4200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", tmp, name);
    return b;
}

static void on_usr1(int sig) { (void)sig; }

/* The rounding modes of SSE (MXCSR) and x87 (control word): a new image
 * starts with the CPU's initial vector state, round to nearest. */
static unsigned mxcsr_get(void)
{
    unsigned v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static void rounding_down(void)
{
    unsigned v = (mxcsr_get() & ~0x6000u) | 0x2000u;
    __asm__ volatile("ldmxcsr %0" :: "m"(v));
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (unsigned short)((cw & ~0xc00u) | 0x400u);
    __asm__ volatile("fldcw %0" :: "m"(cw));
}

static const char *rounding(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return (mxcsr_get() & 0x6000u) == 0 && (cw & 0xc00u) == 0 ? "to nearest" : "changed";
}

static void errors(void)
{
    char *argv[] = { "x", NULL }, *envp[] = { NULL };
    CHECK_ERR("missing file", execve("/nonexistent/prog", argv, envp), ENOENT);
    CHECK_ERR("directory", execve(tmp, argv, envp), EACCES);
    CHECK_ERR("not ELF, not #!", execve(in_tmp("notelf"), argv, envp), ENOEXEC);
    CHECK_ERR("empty file", execve(in_tmp("empty"), argv, envp), ENOEXEC);
    CHECK_ERR("no x bit", execve(in_tmp("noexec"), argv, envp), EACCES);
    CHECK_ERR("#! alone", execve(in_tmp("bangonly"), argv, envp), ENOEXEC);
    CHECK_ERR("#! missing interpreter", execve(in_tmp("badinterp"), argv, envp), ENOENT);
    CHECK_ERR("#! interpreter not executable", execve(in_tmp("interpnoexec"), argv, envp), EACCES);
    CHECK_ERR("#! interpreter path cut off", execve(in_tmp("longinterp"), argv, envp), ENOEXEC);
    CHECK_ERR("5 levels of #! down to a non-ELF", execve(in_tmp("loop4"), argv, envp), ENOEXEC);
    CHECK_ERR("6 levels of #!", execve(in_tmp("loop5"), argv, envp), ELOOP);
    CHECK_ERR("file as directory", execve(in_tmp("notelf/x"), argv, envp), ENOTDIR);
    CHECK_ERR("empty path", execve("", argv, envp), ENOENT);
    /* Raw calls: the compiler refuses to pass libc's execve a bad array. */
    CHECK_ERR("bad filename pointer", syscall(SYS_execve, 1L, argv, envp), EFAULT);
    CHECK_ERR("bad argv pointer", syscall(SYS_execve, self, 1L, envp), EFAULT);
    char *badarg[] = { "x", (char *)1, NULL };
    CHECK_ERR("bad argv string", execve(self, badarg, envp), EFAULT);
    CHECK_ERR("bad envp pointer", syscall(SYS_execve, self, argv, 1L), EFAULT);
    /* MAX_ARG_STRLEN: 128 KiB with the NUL. */
    char *big = malloc(131073);
    CHECK(big);
    memset(big, 'b', 131072);
    big[131072] = 0;
    char *bigarg[] = { "x", big, NULL };
    CHECK_ERR("argument of 128 KiB", execve(self, bigarg, envp), E2BIG);
    /* More than any stack limit allows (Linux: at most 6 MiB). */
    big[120000] = 0;
    char *many[64];
    for (int i = 0; i < 63; i++)
        many[i] = big;
    many[63] = NULL;
    CHECK_ERR("7.5 MB of arguments", execve(self, many, envp), E2BIG);
    CHECK_ERR("7.5 MB of environment", execve(self, argv, many), E2BIG);
    /* The limit is a quarter of RLIMIT_STACK: 300 KB is too much under 1 MiB. */
    struct rlimit rl = { 1 << 20, 8 << 20 }, dflt = { 8 << 20, 8 << 20 };
    CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
    big[100000] = 0;
    char *three[] = { big, big, big, NULL };
    CHECK_ERR("300 KB of arguments under a 1 MiB stack limit", execve(self, three, envp), E2BIG);
    CHECK(setrlimit(RLIMIT_STACK, &dflt) == 0);
    free(big);
    CHECK_ERR("execveat bad flags", execveat_(AT_FDCWD, self, argv, envp, 0x4), EINVAL);
    CHECK_ERR("execveat NOFOLLOW on a symlink",
              execveat_(AT_FDCWD, in_tmp("link"), argv, envp, AT_SYMLINK_NOFOLLOW), ELOOP);
    CHECK_ERR("execveat bad fd", execveat_(99, "x", argv, envp, 0), EBADF);
    int fd = open(in_tmp("notelf"), O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERR("execveat fd of a non-ELF", execveat_(fd, "", argv, envp, AT_EMPTY_PATH), ENOEXEC);
    CHECK(close(fd) == 0);
    /* A script given by an O_CLOEXEC fd: its /dev/fd/N name is gone
     * when the interpreter would open it. */
    fd = open(in_tmp("script0"), O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_ERR("execveat close-on-exec fd of a script", execveat_(fd, "", argv, envp, AT_EMPTY_PATH), ENOENT);
    CHECK(close(fd) == 0);
    int dfd = open(tmp, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    CHECK_ERR("execveat dirfd-relative non-ELF", execveat_(dfd, "notelf", argv, envp, 0), ENOEXEC);
    CHECK(close(dfd) == 0);
}

static void first(void)
{
    /* The scratch directory and the files the chain and the errors use. */
    snprintf(tmp, sizeof tmp, "/tmp/exec_chainXXXXXX");
    CHECK(mkdtemp(tmp) != NULL);
    char text[8400];
    write_file("notelf", "hello, not a program\n", 0755);
    write_file("empty", "", 0755);
    write_file("noexec", "#!/bin/sh\necho never\n", 0644);
    write_file("bangonly", "#!\n", 0755);
    write_file("badinterp", "#!/nonexistent/interp\n", 0755);
    snprintf(text, sizeof text, "#!%s\n", in_tmp("noexec"));
    write_file("interpnoexec", text, 0755);
    CHECK(symlink(self, in_tmp("link")) == 0);
    memset(text, 'a', 300);
    memcpy(text, "#!/", 3);
    text[300] = '\n';
    text[301] = 0;
    write_file("longinterp", text, 0755);
    /* loopN's interpreter is loop(N-1), loop0's is notelf. */
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "loop%d", i - 1);
        snprintf(text, sizeof text, "#!%s\n", in_tmp(i ? name : "notelf"));
        snprintf(name, sizeof name, "loop%d", i);
        write_file(name, text, 0755);
    }
    snprintf(text, sizeof text, "#!%s stage3\n", self);
    write_file("script0", text, 0755);
    /* One optional argument, spaces inside kept, around it dropped. */
    snprintf(text, sizeof text, "#! %s   arg A \t\n", in_tmp("script0"));
    write_file("script1", text, 0755);
    snprintf(text, sizeof text, "#!/bin/sh\necho \"sh: $# $1 $2\"\nexec %s stage4 \"$2\"\n", self);
    write_file("shscript", text, 0755);

    /* Rare limits first: the host's stack limit sets Linux's (a quarter). */
    struct rlimit rl = { 8 << 20, 8 << 20 };
    setrlimit(RLIMIT_STACK, &rl);
    errors();

    /* What the next image must see: a close-on-exec fd gone, a plain one
     * kept; a caught signal back to default, an ignored one still ignored. */
    int fd = open(in_tmp("notelf"), O_RDONLY);
    CHECK(fd >= 0 && dup2(fd, 10) == 10 && dup2(fd, 11) == 11 && close(fd) == 0);
    CHECK(fcntl(11, F_SETFD, FD_CLOEXEC) == 0);
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
    rounding_down();
    printf("first: rounding %s\n", rounding());

    char *big = malloc(131072);
    CHECK(big);
    memset(big, 'B', 131071);
    big[131071] = 0;
    char envtmp[4200];
    snprintf(envtmp, sizeof envtmp, "EXEC_TMP=%s", tmp);
    char *argv[] = { "renamed", "stage2", "with space", "", big, NULL };
    char *envp[] = { "EXEC_TEST=1", envtmp, NULL };
    environ = envp;
    exec_next("stage2", self, argv);
}

static void stage2(int argc, char **argv)
{
    printf("stage2: argc=%d argv0=%s argv2=[%s] argv3=[%s] big=%zu\n", argc, argv[0], argv[2], argv[3],
           argc > 4 ? strlen(argv[4]) : 0);
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("stage2: %d environment entries, EXEC_TEST=%s\n", n, getenv("EXEC_TEST"));
    print_execfn("stage2");
    char exe[4096];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(l > 0);
    exe[l] = 0;
    printf("stage2: /proc/self/exe ");
    print_path(exe);
    printf("\n");
    printf("stage2: fd 10 %s, fd 11 %s\n", fcntl(10, F_GETFD) >= 0 ? "open" : errno_name(errno),
           fcntl(11, F_GETFD) >= 0 ? "open" : errno_name(errno));
    struct sigaction sa;
    CHECK(sigaction(SIGUSR1, NULL, &sa) == 0);
    printf("stage2: SIGUSR1 %s", sa.sa_handler == SIG_DFL ? "default" : "not default");
    CHECK(sigaction(SIGUSR2, NULL, &sa) == 0);
    printf(", SIGUSR2 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "not ignored");
    printf("stage2: rounding %s\n", rounding());
    CHECK(close(10) == 0);

    char *next[] = { "ignored", "s1", NULL };
    exec_next("script1", in_tmp("script1"), next);
}

static void stage3(int argc, char **argv)
{
    print_argv("stage3", argc, argv);
    print_execfn("stage3");
    char *next[] = { "sh0", "hello", "world", NULL };
    exec_next("shscript", in_tmp("shscript"), next);
}

static void stage4(int argc, char **argv)
{
    print_argv("stage4", argc, argv);
    const char *names[] = { "notelf", "empty", "noexec", "bangonly", "badinterp", "interpnoexec", "link",
                            "longinterp", "loop0", "loop1", "loop2", "loop3", "loop4", "loop5",
                            "script0", "script1", "shscript" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK(unlink(in_tmp(names[i])) == 0);
    CHECK(rmdir(tmp) == 0);
    printf("stage4: done\n");
    fflush(stdout);
    exit(7);
}

int main(int argc, char **argv)
{
    ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(l > 0);
    self[l] = 0;
    const char *t = getenv("EXEC_TMP");
    if (t)
        snprintf(tmp, sizeof tmp, "%s", t);
    if (argc > 1 && strcmp(argv[1], "stage2") == 0)
        stage2(argc, argv);
    else if (argc > 1 && strcmp(argv[1], "stage3") == 0)
        stage3(argc, argv);
    else if (argc > 1 && strcmp(argv[1], "stage4") == 0)
        stage4(argc, argv);
    else
        first();
    return 1;
}
