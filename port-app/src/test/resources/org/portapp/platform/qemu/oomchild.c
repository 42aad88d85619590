/* A child that eats memory until the guest has none left is killed (as by
 * Linux's OOM killer) and its parent, the first process, goes on
 * (ProcessMemoryOnQemuTest). Natively the hog stops itself at 256 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t hog = fork();
    if (hog == 0) {
        for (int mib = 0; mib < 256; mib++) {
            char *p = malloc(1 << 20);
            if (!p)
                _exit(3);
            memset(p, 1, 1 << 20);
        }
        _exit(0);
    }
    int st;
    waitpid(hog, &st, 0);
    printf("hog %s\n", WIFSIGNALED(st) ? "killed" : "finished");
    printf("parent alive\n");
    return 0;
}
