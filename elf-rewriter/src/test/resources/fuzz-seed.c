/* Seed program for the rewriter fuzz test: small, static, with several syscall sites. */
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    char buf[64];
    int fd = open(argc > 1 ? argv[1] : "/dev/null", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0) close(fd);
    printf("read %zd pid-ok %d\n", n, getpid() > 0);
    return (int) syscall(SYS_getppid) > 0 ? 0 : 1;
}
