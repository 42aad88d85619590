/*
 * env_args: the initial process state a loader builds: argc/argv (argv[0]
 * is not printed, it is a path that differs between runs), envp, the
 * PORTAPP_TEST_* environment variables the test passes, a few auxv entries,
 * and getenv/setenv/unsetenv/putenv.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
    /* --- argv --- */
    printf("argc %d\n", argc);
    CHECK(argc >= 1 && argv[0] != NULL && argv[argc] == NULL);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] len %zu '%s'\n", i, strlen(argv[i]), argv[i]);
    printf("argv[argc] NULL yes\n");

    /* --- envp is environ, and the test's variables, sorted --- */
    printf("envp == environ %s\n", envp == environ ? "yes" : "no");
    CHECK(envp == environ);
    char *mine[64];
    int n = 0, total = 0;
    for (char **e = envp; *e; e++, total++)
        if (strncmp(*e, "PORTAPP_TEST_", 13) == 0 && n < 64)
            mine[n++] = *e;
    qsort(mine, (size_t)n, sizeof mine[0], cmp_str);
    printf("PORTAPP_TEST_* variables %d\n", n);
    for (int i = 0; i < n; i++)
        printf("  %s\n", mine[i]);
    for (char **e = envp; *e; e++)
        CHECK(strchr(*e, '=') != NULL);
    printf("every env entry has '=' yes (count not printed: it is the caller's)\n");
    (void)total;

    /* --- auxv --- */
    printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
    CHECK(getauxval(AT_PAGESZ) == 4096);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    CHECK(rnd != NULL);
    volatile unsigned char sink = 0;
    for (int i = 0; i < 16; i++) /* must be readable: 16 bytes the loader wrote */
        sink ^= rnd[i];
    (void)sink;
    printf("AT_RANDOM present yes\n");
    printf("AT_PHDR present %s, AT_PHENT %lu\n", getauxval(AT_PHDR) ? "yes" : "no", getauxval(AT_PHENT));
    CHECK(getauxval(AT_PHDR) != 0 && getauxval(AT_PHENT) == 56);
    printf("AT_UID matches getuid %s, AT_SECURE %lu\n",
           getauxval(AT_UID) == (unsigned long)getuid() ? "yes" : "no", getauxval(AT_SECURE));
    CHECK(getauxval(AT_UID) == (unsigned long)getuid());

    /* --- getenv/setenv/unsetenv/putenv --- */
    CHECK(getenv("PORTAPP_NEW") == NULL);
    CHECK(setenv("PORTAPP_NEW", "one", 0) == 0);
    printf("setenv new -> '%s'\n", getenv("PORTAPP_NEW"));
    CHECK(setenv("PORTAPP_NEW", "two", 0) == 0);
    printf("setenv no-overwrite -> '%s'\n", getenv("PORTAPP_NEW"));
    CHECK(strcmp(getenv("PORTAPP_NEW"), "one") == 0);
    CHECK(setenv("PORTAPP_NEW", "three", 1) == 0);
    printf("setenv overwrite -> '%s'\n", getenv("PORTAPP_NEW"));
    CHECK(strcmp(getenv("PORTAPP_NEW"), "three") == 0);
    CHECK(setenv("PORTAPP_EMPTY", "", 1) == 0);
    printf("empty value -> '%s'\n", getenv("PORTAPP_EMPTY"));
    CHECK(unsetenv("PORTAPP_NEW") == 0);
    printf("after unsetenv -> %s\n", getenv("PORTAPP_NEW") ? "set" : "unset");
    CHECK(getenv("PORTAPP_NEW") == NULL);
    CHECK(unsetenv("PORTAPP_NEVER_SET") == 0);
    CHECK_ERR("setenv name with '='", setenv("A=B", "x", 1), EINVAL);
    CHECK_ERR("setenv empty name", setenv("", "x", 1), EINVAL);
    static char pv[] = "PORTAPP_PUT=put";
    CHECK(putenv(pv) == 0);
    printf("putenv -> '%s'\n", getenv("PORTAPP_PUT"));
    pv[12] = 'P'; /* putenv keeps the caller's string itself */
    printf("putenv string is live -> '%s'\n", getenv("PORTAPP_PUT"));
    CHECK(strcmp(getenv("PORTAPP_PUT"), "Put") == 0);
    int found = 0;
    for (char **e = environ; *e; e++)
        found += strcmp(*e, "PORTAPP_EMPTY=") == 0;
    printf("environ sees setenv entry %d\n", found);
    CHECK(found == 1);
    printf("env_args done\n");
    return 0;
}
