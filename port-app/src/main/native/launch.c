/*
 * portapp-launch: what bin/port-app runs in front of the JVM, so that every
 * signal sent to port-app can reach the app.
 *
 *   portapp-launch JAVA [JAVA-ARGS...]
 *
 * runs JAVA -Dportapp.signal-fd=N JAVA-ARGS... as its child and exits with
 * its status (128+N if a signal N killed it). Why a process of its own: the
 * JVM keeps SIGQUIT for its thread dumps and refuses a handler for it (and
 * -Xrs, which frees it, takes INT, TERM and HUP away instead), so a
 * `kill -QUIT` of a JVM never reaches nginx. This process, which has the pid
 * the user sees as port-app's (bin/port-app execs it), catches the signals a
 * user sends an app (INT, TERM, QUIT, HUP, USR1, USR2, WINCH) and writes each
 * as one byte (its number) into a pipe whose read end the JVM has as fd N
 * (org.portapp.platform.LauncherSignals): the JVM passes it on as it does
 * its own signals (kill(2) of the app on linuxu, a console control code to
 * the unikernel) or, when no app runs, dies as the signal's default says.
 *
 * Signals the kernel sent (si_code SI_KERNEL: the terminal's ^C, ^\, a
 * resize, a hangup) are not passed on: the terminal sent them to the whole
 * foreground process group, the JVM and a linuxu app included, which got
 * them already; passing them on would deliver them twice.
 *
 * Lifetime: the JVM gets PR_SET_PDEATHSIG(SIGKILL), so a port-app killed
 * outright (SIGKILL) takes the JVM with it, and the JVM's own ties (the
 * linuxu loader's --parent-pid, QEMU's setpriv --pdeathsig) take the app.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const int passed_on[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH};
#define NPASSED (sizeof passed_on / sizeof passed_on[0])

/* The pipe's write end; non-blocking, so a handler never waits on a JVM that
 * does not read (64 KiB of unread signals: later ones are dropped). */
static int to_jvm = -1;

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (info->si_code == SI_KERNEL) {
        return;
    }
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t r = write(to_jvm, &b, 1);
    (void)r;
    errno = saved;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: portapp-launch JAVA [JAVA-ARGS...]\n");
        return 2;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        perror("port-app: launcher: pipe");
        return 1;
    }
    to_jvm = p[1];
    if (fcntl(to_jvm, F_SETFL, O_NONBLOCK) != 0) {
        perror("port-app: launcher: fcntl");
        return 1;
    }

    /* Blocked from before the fork until the handlers are in place, so none
     * is lost and none kills the launcher by its default action. */
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < NPASSED; i++) {
        sigaddset(&set, passed_on[i]);
    }
    sigprocmask(SIG_BLOCK, &set, &old);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < NPASSED; i++) {
        sigaction(passed_on[i], &sa, NULL);
    }

    pid_t self = getpid();
    pid_t jvm = fork();
    if (jvm < 0) {
        perror("port-app: launcher: fork");
        return 1;
    }
    if (jvm == 0) {
        /* The JVM starts with the signal state port-app was given (the mask
         * as before; exec resets the handlers to their defaults). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != self) {
            _exit(1); /* the launcher died before the line above */
        }
        int fd = p[0];
        if (fcntl(fd, F_SETFD, 0) != 0) {
            perror("port-app: launcher: fcntl");
            _exit(1);
        }
        char prop[64];
        snprintf(prop, sizeof prop, "-Dportapp.signal-fd=%d", fd);
        char **args = calloc((size_t)argc + 2, sizeof *args);
        if (args == NULL) {
            _exit(1);
        }
        args[0] = argv[1];
        args[1] = prop;
        for (int i = 2; i < argc; i++) {
            args[i] = argv[i];
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(argv[1], args);
        fprintf(stderr, "port-app: error: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    close(p[0]);
    /* A signal after the JVM closed its end must not kill the launcher
     * (EPIPE instead); set here, not before the fork: the JVM and what it
     * starts get port-app's own disposition. */
    signal(SIGPIPE, SIG_IGN);
    /* Unblocked whatever port-app started with: a JVM parent (a test, a
     * Java tool) leaves SIGQUIT blocked in its children. */
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    int status;
    while (waitpid(jvm, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("port-app: launcher: waitpid");
            return 1;
        }
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}
