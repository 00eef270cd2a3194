/*
 * faultfs: an LD_PRELOAD shim that makes writes and syncs of files under one
 * directory fail, for Halyard's storage-fault tests.
 *
 * It wraps the libc entry points SQLite (and Rust's std) call for them:
 * write, pwrite, pwrite64, writev, pwritev, fsync and fdatasync. SQLite's
 * unix VFS keeps pointers to them in its system-call table, initialised from
 * the dynamic symbols, so the preloaded definitions are the ones it calls.
 *
 * Environment:
 *   FAULTFS_DIR      absolute, resolved path of the directory whose files fail
 *                    (unset: the shim passes everything through)
 *   FAULTFS_CONTROL  a file; while it exists, its rule is in force
 *   FAULTFS_COUNTDOWN=N with FAULTFS_RULE="...": the rule comes into force
 *                    after N more calls of its kind on files under the directory
 *   FAULTFS_LOG      a file to which each injected failure appends a line
 *
 * A rule is a line of tokens: the calls ("write", "fsync" or "any"), the
 * errno ("EIO" or "ENOSPC"), and optionally "once" (fail one call, then
 * remove the control file or disarm the countdown) and "file=SUFFIX" (only
 * files whose path ends so, e.g. file=.db-wal).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum call_kind { KIND_WRITE = 1, KIND_FSYNC = 2 };

struct rule {
    int kinds;
    int error;
    int once;
    char suffix[128];
};

static atomic_long countdown = -1; /* calls left before FAULTFS_RULE is armed; -1: none */
static atomic_int countdown_fired = 0;
static atomic_int initialised = 0;

static void initialise(void) {
    if (atomic_exchange(&initialised, 1)) {
        return;
    }
    const char *n = getenv("FAULTFS_COUNTDOWN");
    if (n && getenv("FAULTFS_RULE")) {
        atomic_store(&countdown, atol(n));
    }
}

static int parse_rule(const char *text, struct rule *rule) {
    char copy[512];
    snprintf(copy, sizeof copy, "%s", text);
    memset(rule, 0, sizeof *rule);
    char *save = NULL;
    for (char *token = strtok_r(copy, " \t\r\n", &save); token; token = strtok_r(NULL, " \t\r\n", &save)) {
        if (!strcmp(token, "write")) rule->kinds |= KIND_WRITE;
        else if (!strcmp(token, "fsync")) rule->kinds |= KIND_FSYNC;
        else if (!strcmp(token, "any")) rule->kinds |= KIND_WRITE | KIND_FSYNC;
        else if (!strcmp(token, "EIO")) rule->error = EIO;
        else if (!strcmp(token, "ENOSPC")) rule->error = ENOSPC;
        else if (!strcmp(token, "once")) rule->once = 1;
        else if (!strncmp(token, "file=", 5)) snprintf(rule->suffix, sizeof rule->suffix, "%s", token + 5);
    }
    return rule->kinds != 0 && rule->error != 0;
}

/* The control file's rule, if the file exists and holds one. Uses only
 * calls the shim does not wrap. */
static int control_rule(const char *control, struct rule *rule) {
    int fd = open(control, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char text[512];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    text[n] = 0;
    return parse_rule(text, rule);
}

/* The path of `fd` if it is a file under FAULTFS_DIR. */
static int path_under_dir(int fd, char *path, size_t size) {
    const char *dir = getenv("FAULTFS_DIR");
    if (!dir || !*dir) {
        return 0;
    }
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, size - 1);
    if (n <= 0) {
        return 0;
    }
    path[n] = 0;
    size_t len = strlen(dir);
    return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == 0);
}

static int ends_with(const char *text, const char *suffix) {
    size_t a = strlen(text), b = strlen(suffix);
    return a >= b && strcmp(text + a - b, suffix) == 0;
}

static void log_failure(const char *call, const char *path, int error) {
    const char *log = getenv("FAULTFS_LOG");
    if (!log) {
        return;
    }
    char line[1200];
    int n = snprintf(line, sizeof line, "%s %s %s\n", call, error == EIO ? "EIO" : "ENOSPC", path);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        syscall(SYS_write, fd, line, (size_t)n);
        syscall(SYS_close, fd);
    }
}

/* The errno to fail this call with, or 0 to let it through. */
static int injected_error(int fd, enum call_kind kind, const char *call) {
    initialise();
    char path[1024];
    if (!path_under_dir(fd, path, sizeof path)) {
        return 0;
    }
    struct rule rule;
    const char *control = getenv("FAULTFS_CONTROL");
    if (control && control_rule(control, &rule) && (rule.kinds & kind) && ends_with(path, rule.suffix)) {
        /* With "once", only the call that removes the file fails. */
        if (!rule.once || unlink(control) == 0) {
            log_failure(call, path, rule.error);
            return rule.error;
        }
        return 0;
    }
    const char *armed = getenv("FAULTFS_RULE");
    if (armed && atomic_load(&countdown) >= 0 && parse_rule(armed, &rule) && (rule.kinds & kind) &&
        ends_with(path, rule.suffix)) {
        if (atomic_fetch_sub(&countdown, 1) > 0) {
            return 0;
        }
        atomic_store(&countdown, 0); /* stays armed */
        if (!rule.once || atomic_exchange(&countdown_fired, 1) == 0) {
            log_failure(call, path, rule.error);
            return rule.error;
        }
    }
    return 0;
}

#define REAL(name) \
    static __typeof__(&name) real; \
    if (!real) real = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

#define FAIL_IF_INJECTED(fd, kind, call) \
    do { \
        int error_ = injected_error(fd, kind, call); \
        if (error_) { \
            errno = error_; \
            return -1; \
        } \
    } while (0)

ssize_t write(int fd, const void *buffer, size_t count) {
    REAL(write);
    FAIL_IF_INJECTED(fd, KIND_WRITE, "write");
    return real(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite);
    FAIL_IF_INJECTED(fd, KIND_WRITE, "pwrite");
    return real(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off64_t offset) {
    REAL(pwrite64);
    FAIL_IF_INJECTED(fd, KIND_WRITE, "pwrite64");
    return real(fd, buffer, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
    REAL(writev);
    FAIL_IF_INJECTED(fd, KIND_WRITE, "writev");
    return real(fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset) {
    REAL(pwritev);
    FAIL_IF_INJECTED(fd, KIND_WRITE, "pwritev");
    return real(fd, iov, count, offset);
}

int fsync(int fd) {
    REAL(fsync);
    FAIL_IF_INJECTED(fd, KIND_FSYNC, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    FAIL_IF_INJECTED(fd, KIND_FSYNC, "fdatasync");
    return real(fd);
}
