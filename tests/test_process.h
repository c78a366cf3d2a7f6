/*
 * Running a program from a test: argv passed as is (no shell), stdin from
 * /dev/null, stdout and stderr collected through pipes (stdout may be a
 * pseudo-terminal instead, to test what a program does on a terminal), a deadline after
 * which the child is killed (a hang fails the test instead of stalling it),
 * and what the child cost: wall-clock time and peak resident set (from
 * wait4's rusage).  Optionally the child drops to another user first, so a
 * test running as root can still meet a file it may not read.
 *
 * Header-only, for the test programs that start processes.
 */
#ifndef LPS_TEST_PROCESS_H
#define LPS_TEST_PROCESS_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct proc_options {
    double timeout;  /* seconds before the child is killed; 0 = 120 */
    int as_user;     /* drop to uid/gid before exec (needs root) */
    uid_t uid;
    gid_t gid;
    /* With use_tty, stdout is tty_slave (the slave side of a
     * pseudo-terminal) and is read from tty_master; proc_run closes both. */
    int use_tty;
    int tty_master, tty_slave;
} proc_options;

typedef struct proc_result {
    int status;      /* exit status; -1 when killed by a signal */
    int signal;      /* the signal that ended it, or 0 */
    int timed_out;   /* killed at the deadline */
    char *out;       /* stdout, NUL-terminated */
    size_t out_len;
    char *err;       /* stderr, NUL-terminated */
    size_t err_len;
    double seconds;  /* wall clock */
    long max_rss_kb; /* peak resident set of the child */
} proc_result;

/* Exit status of a child that could not run the program at all. */
#define PROC_EXEC_FAILED 127
/* Exit status of a child that could not become the requested user. */
#define PROC_SETUID_FAILED 126

typedef struct proc_sink {
    int fd;          /* -1 at end of file */
    char *data;
    size_t len, cap;
} proc_sink;

static inline double proc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void proc_sink_read(proc_sink *s)
{
    if (s->cap - s->len < 65537) {
        s->cap = s->cap ? 2 * s->cap : 65536 * 2;
        s->data = realloc(s->data, s->cap);
        if (!s->data) {
            fprintf(stderr, "test_process.h: out of memory\n");
            abort();
        }
    }
    ssize_t got = read(s->fd, s->data + s->len, s->cap - s->len - 1);
    if (got > 0) {
        s->len += (size_t)got;
        return;
    }
    if (got < 0 && errno == EINTR)
        return;
    close(s->fd);
    s->fd = -1;
}

static inline char *proc_sink_take(proc_sink *s, size_t *len)
{
    if (!s->data)
        s->data = malloc(1);
    if (!s->data)
        abort();
    s->data[s->len] = '\0';
    *len = s->len;
    return s->data;
}

/*
 * Runs path with argv (argv[0] included, NULL-terminated).  Returns when the
 * child has exited or been killed at the deadline; never fails the test
 * itself (the caller checks status, timed_out and signal).
 */
static inline proc_result proc_run(const char *path, char *const argv[], const proc_options *opts)
{
    proc_options defaults = {0, 0, 0, 0, 0, -1, -1};
    if (!opts)
        opts = &defaults;
    double timeout = opts->timeout > 0 ? opts->timeout : 120;
    proc_result r;
    memset(&r, 0, sizeof r);
    int out_pipe[2], err_pipe[2];
    if (opts->use_tty) {
        out_pipe[0] = opts->tty_master;
        out_pipe[1] = opts->tty_slave;
        if (pipe(err_pipe) != 0) {
            fprintf(stderr, "test_process.h: pipe: %s\n", strerror(errno));
            abort();
        }
    } else if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
        fprintf(stderr, "test_process.h: pipe: %s\n", strerror(errno));
        abort();
    }
    fflush(stdout);
    fflush(stderr);
    double start = proc_now();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "test_process.h: fork: %s\n", strerror(errno));
        abort();
    }
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(out_pipe[1], 1) < 0 || dup2(err_pipe[1], 2) < 0)
            _exit(PROC_EXEC_FAILED);
        close(in);
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[0]);
        close(err_pipe[1]);
        if (opts->as_user && (setgroups(0, NULL) != 0 || setgid(opts->gid) != 0 || setuid(opts->uid) != 0))
            _exit(PROC_SETUID_FAILED);
        if (opts->as_user && access(path, X_OK) != 0)
            _exit(PROC_SETUID_FAILED);
        execv(path, argv);
        _exit(PROC_EXEC_FAILED);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    proc_sink out = {out_pipe[0], NULL, 0, 0};
    proc_sink err = {err_pipe[0], NULL, 0, 0};
    double deadline = start + timeout;
    while (out.fd >= 0 || err.fd >= 0) {
        struct pollfd fds[2];
        nfds_t n = 0;
        if (out.fd >= 0)
            fds[n++] = (struct pollfd){out.fd, POLLIN, 0};
        if (err.fd >= 0)
            fds[n++] = (struct pollfd){err.fd, POLLIN, 0};
        double left = deadline - proc_now();
        if (left <= 0) {
            r.timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        int ready = poll(fds, n, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR) {
            fprintf(stderr, "test_process.h: poll: %s\n", strerror(errno));
            abort();
        }
        for (nfds_t i = 0; ready > 0 && i < n; i++)
            if (fds[i].revents)
                proc_sink_read(fds[i].fd == out.fd ? &out : &err);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "test_process.h: wait4: %s\n", strerror(errno));
            abort();
        }
    }
    if (out.fd >= 0)
        close(out.fd);
    if (err.fd >= 0)
        close(err.fd);
    out.fd = err.fd = -1;
    r.seconds = proc_now() - start;
    r.max_rss_kb = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        r.status = WEXITSTATUS(status);
    } else {
        r.status = -1;
        r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    r.out = proc_sink_take(&out, &r.out_len);
    r.err = proc_sink_take(&err, &r.err_len);
    return r;
}

static inline void proc_free(proc_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

#endif
