/*
 * exit_code N [mode]: ends the process with status N (the shell sees N & 255).
 *   mode exit    (default) exit(N): stdio is flushed, so buffered output shows
 *   mode _exit   _exit(N): output flushed before is seen, output still in the
 *                stdio buffer is lost
 *   mode thread  a second thread calls exit(N) while main is blocked in
 *                pthread_join: the whole process ends (exit_group)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static int code;

static void *exiter(void *arg)
{
    (void)arg;
    printf("thread calls exit(%d)\n", code);
    exit(code);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: exit_code N [exit|_exit|thread]\n");
        return 1;
    }
    code = atoi(argv[1]);
    const char *mode = argc > 2 ? argv[2] : "exit";
    /* Full buffering even on a terminal, so the modes behave the same. */
    static char buf[4096];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    printf("exit_code %d via %s\n", code, mode);
    if (strcmp(mode, "exit") == 0) {
        printf("buffered line printed by exit's flush\n");
        exit(code);
    }
    if (strcmp(mode, "_exit") == 0) {
        fflush(stdout);
        printf("this line stays in the buffer and is lost\n");
        _exit(code);
    }
    if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, exiter, NULL) == 0);
        pthread_join(t, NULL); /* never returns: the thread ends the process */
        printf("join returned\n");
        return 99;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 1;
}
