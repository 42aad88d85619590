/* Prints where main is: built static-pie, two boots of it show whether the
 * loader randomizes the load base (ASLR), and --no-aslr that it does not. */
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    printf("main %p\n", (void *)main);
    return 0;
}
