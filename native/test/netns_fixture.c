/* Test support for cases in a private network namespace: see netns_fixture.h. Defines no
 * SG_TEST cases. */
#define _GNU_SOURCE
#include "netns_fixture.h"
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int nf_private_netns(void)
{
    struct ifreq ifr;
    int s;

    if (unshare(CLONE_NEWNET) != 0) {
        printf("  skipped: cannot create a network namespace (%s); needs CAP_SYS_ADMIN\n", strerror(errno));
        return -1;
    }
    s = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        printf("  skipped: no loopback in the namespace\n");
        if (s >= 0)
            close(s);
        return -1;
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
        printf("  skipped: cannot bring loopback up (%s)\n", strerror(errno));
        close(s);
        return -1;
    }
    close(s);
    return 0;
}

int nf_run_child(int (*body)(void))
{
    pid_t pid;
    int st = 0;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        int rc = body();
        fflush(stdout); /* _exit does not flush: the skip reasons would be lost */
        fflush(stderr);
        _exit(rc);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st) == SKIP_CODE ? 0 : WEXITSTATUS(st);
}
