/* A stand-in for an LTP test binary (CompatCommandTest): prints LTP-format
 * result lines and exits with LTP's result bits (1 fail, 2 brok, 4 warn,
 * 32 conf), or hangs, crashes, forks, or uses TMPDIR, as argv[1] says. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int tmpdir_test(void)
{
    const char *tmp = getenv("TMPDIR");
    const char *root = getenv("LTPROOT");
    char path[4096];
    char back[8] = {0};

    if (!tmp || !root) {
        printf("fake-ltp.c:20: TBROK: TMPDIR or LTPROOT not set\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/fake-ltp.%d", tmp, (int)getpid());
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "ltp", 3) != 3 || pread(fd, back, 3, 0) != 3 || strcmp(back, "ltp")) {
        printf("fake-ltp.c:27: TFAIL: TMPDIR %s is not writable\n", tmp);
        return 1;
    }
    close(fd);
    unlink(path);
    printf("fake-ltp.c:32: TPASS: wrote and read back %s\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "pass";

    setvbuf(stdout, NULL, _IONBF, 0);
    printf("fake-ltp.c:40: TINFO: mode %s\n", mode);
    if (!strcmp(mode, "pass")) {
        printf("fake-ltp.c:42: TPASS: all good\n");
        return 0;
    }
    if (!strcmp(mode, "fail")) {
        printf("fake-ltp.c:46: TPASS: first case\n");
        printf("fake-ltp.c:47: TFAIL: open() expected EINVAL: ENOENT (2)\n");
        return 1;
    }
    if (!strcmp(mode, "brok")) {
        printf("fake-ltp.c:51: TBROK: setup() failed\n");
        return 2;
    }
    if (!strcmp(mode, "warn")) {
        printf("fake-ltp.c:55: TWARN: cleanup() left a file\n");
        return 4;
    }
    if (!strcmp(mode, "conf")) {
        printf("fake-ltp.c:59: TCONF: not supported on this system\n");
        return 32;
    }
    if (!strcmp(mode, "failconf")) {
        printf("fake-ltp.c:63: TCONF: one case skipped\n");
        printf("fake-ltp.c:64: TFAIL: another failed\n");
        return 1 | 32;
    }
    if (!strcmp(mode, "hang")) {
        /* deaf to the polite stop too: port-app must kill it */
        signal(SIGTERM, SIG_IGN);
        for (;;)
            pause();
    }
    if (!strcmp(mode, "crash")) {
        volatile int *nowhere = (volatile int *)(argc > 100 ? argv : NULL);
        *nowhere = 1;
        return 0;
    }
    if (!strcmp(mode, "tmpdir"))
        return tmpdir_test();
    if (!strcmp(mode, "fork")) {
        pid_t pid = fork();
        if (pid < 0) {
            printf("fake-ltp.c:81: TBROK: fork() failed\n");
            return 2;
        }
        if (pid == 0)
            _exit(0);
        int status;
        waitpid(pid, &status, 0);
        printf("fake-ltp.c:88: TPASS: child exited %d\n", WEXITSTATUS(status));
        return 0;
    }
    printf("fake-ltp.c:91: TBROK: unknown mode %s\n", mode);
    return 2;
}
