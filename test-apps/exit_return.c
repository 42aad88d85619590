/*
 * exit_return [N]: returns N (default 0) from main; the C runtime passes it
 * to exit, which flushes the buffered output.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int code = argc > 1 ? atoi(argv[1]) : 0;
    printf("returning %d from main\n", code);
    return code;
}
