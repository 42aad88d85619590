/*
 * exit_atexit [N [return]]: registers three atexit handlers and a
 * constructor/destructor pair, then exits with N (default 0), through
 * exit(N), or by returning N from main when the second argument is "return".
 * Expected order: constructor, main, handlers in reverse registration order,
 * then the destructor (both libcs run atexit handlers before .fini_array).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void first(void) { printf("atexit first-registered\n"); }
static void second(void) { printf("atexit second-registered\n"); }
static void third(void) { printf("atexit third-registered\n"); }

__attribute__((constructor)) static void ctor(void) { printf("constructor\n"); }
__attribute__((destructor)) static void dtor(void) { printf("destructor\n"); }

int main(int argc, char **argv)
{
    int code = argc > 1 ? atoi(argv[1]) : 0;
    int via_return = argc > 2 && strcmp(argv[2], "return") == 0;
    printf("main\n");
    if (atexit(first) != 0 || atexit(second) != 0 || atexit(third) != 0) {
        printf("atexit failed\n");
        return 1;
    }
    printf("leaving with %d via %s\n", code, via_return ? "return" : "exit");
    if (via_return)
        return code;
    exit(code);
}
