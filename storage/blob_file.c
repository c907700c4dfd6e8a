/*
 * The file backend of the blob store: one directory, one file per blob named by its
 * 64 hex digits. Written for a directory shared by many processes and hosts (NFS):
 *  - a put writes a uniquely named temporary file (".tmp-<random>") in the same
 *    directory, fsyncs it, renames it over the final name and fsyncs the directory:
 *    rename is atomic, so readers see no blob or a whole one, and concurrent puts of
 *    the same bytes simply replace each other with identical copies;
 *  - a blob that is there already with the right size is not written again;
 *  - everything is relative to a descriptor of the directory, opened once.
 * Temporary files of a writer that crashed stay behind as .tmp-*; they are never
 * taken for blobs, and can be removed when older than any running put.
 */
#include "blob_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_store {
    int dir;    /* the directory, O_DIRECTORY */
    char *path; /* its path, for messages */
} file_store;

#define TMP_PREFIX ".tmp-"
#define TMP_NAME_BYTES (sizeof(TMP_PREFIX) + 16) /* prefix, 16 hex digits, NUL */

static int file_open(const char *path, const char *uri, const blob_log *log, void **state,
                     char *err, size_t errlen)
{
    (void)uri;
    (void)log;
    file_store *fs;
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        int e = errno;
        return blob_fail(err, errlen, e == ENOENT ? BLOB_ENOTFOUND : e == ENOTDIR ? BLOB_EINVAL : BLOB_EIO,
                         "blob store %s: %s", path,
                         e == ENOENT ? "no such directory" : strerror(e));
    }
    if (!(fs = malloc(sizeof(*fs))) || !(fs->path = strdup(path))) {
        free(fs);
        close(dir);
        return blob_fail(err, errlen, BLOB_ENOMEM, "blob store %s: out of memory", path);
    }
    fs->dir = dir;
    *state = fs;
    return BLOB_OK;
}

static void file_close(void *state)
{
    file_store *fs = state;
    close(fs->dir);
    free(fs->path);
    free(fs);
}

static int io_error(const file_store *fs, const char *name, const char *what, char *err,
                    size_t errlen)
{
    int e = errno;
    return blob_fail(err, errlen, e == ENOMEM ? BLOB_ENOMEM : BLOB_EIO, "%s/%s: %s: %s",
                     fs->path, name, what, strerror(e));
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Create a temporary file with a random name: its descriptor, or -1 (errno set). */
static int create_temp(const file_store *fs, char name[TMP_NAME_BYTES])
{
    for (int tries = 0; tries < 16; tries++) {
        uint8_t r[8];
        int fd;
        randombytes_buf(r, sizeof(r));
        snprintf(name, TMP_NAME_BYTES, TMP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3], r[4], r[5], r[6], r[7]);
        /* 0644 and the umask: blobs are shared with other users' workers. */
        fd = openat(fs->dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* The directory entry is durable only once the directory is synced. Some file systems
 * cannot sync a directory (EINVAL): they have nothing more to give. */
static int sync_dir(const file_store *fs)
{
    return fsync(fs->dir) == 0 || errno == EINVAL || errno == EROFS ? 0 : -1;
}

static int file_put(void *state, const char *name, const void *data, size_t len, char *err,
                    size_t errlen)
{
    file_store *fs = state;
    char tmp[TMP_NAME_BYTES];
    struct stat st;
    int fd, rc;

    /* Content-addressed: the same name is the same bytes. A copy of another size is
     * damaged: replace it (one of the right size but damaged is caught on get). */
    if (fstatat(fs->dir, name, &st, 0) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size == (uint64_t)len)
        return BLOB_OK;
    if ((fd = create_temp(fs, tmp)) < 0)
        return io_error(fs, TMP_PREFIX "*", "cannot create", err, errlen);
    if (write_all(fd, data, len) != 0) {
        rc = io_error(fs, tmp, "cannot write", err, errlen);
    } else if (fsync(fd) != 0) {
        rc = io_error(fs, tmp, "cannot sync", err, errlen);
    } else {
        rc = BLOB_OK;
    }
    /* NFS reports write errors at close. */
    if (close(fd) != 0 && rc == BLOB_OK)
        rc = io_error(fs, tmp, "cannot close", err, errlen);
    if (rc == BLOB_OK && renameat(fs->dir, tmp, fs->dir, name) != 0)
        rc = io_error(fs, name, "cannot rename the temporary file to", err, errlen);
    if (rc != BLOB_OK) {
        unlinkat(fs->dir, tmp, 0);
        return rc;
    }
    if (sync_dir(fs) != 0)
        return io_error(fs, name, "cannot sync the directory after writing", err, errlen);
    return BLOB_OK;
}

static void version_of(const struct stat *st, blob_version *v)
{
    v->id[0] = (uint64_t)st->st_dev;
    v->id[1] = (uint64_t)st->st_ino;
    v->id[2] = (uint64_t)st->st_mtim.tv_sec;
    v->id[3] = (uint64_t)st->st_mtim.tv_nsec;
}

static int file_get(void *state, const char *name, uint8_t **data, size_t *len,
                    blob_version *version, char *err, size_t errlen)
{
    file_store *fs = state;
    struct stat st;
    uint8_t *buf = NULL;
    size_t size, got = 0;
    int rc = BLOB_OK, fd = openat(fs->dir, name, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return blob_fail(err, errlen, BLOB_ENOTFOUND, "%s/%s: no such blob", fs->path, name);
        return io_error(fs, name, "cannot open", err, errlen);
    }
    if (fstat(fd, &st) != 0) {
        rc = io_error(fs, name, "cannot stat", err, errlen);
    } else if (!S_ISREG(st.st_mode)) {
        rc = blob_fail(err, errlen, BLOB_EIO, "%s/%s: not a regular file", fs->path, name);
    } else if ((uint64_t)st.st_size >= (uint64_t)PTRDIFF_MAX) {
        rc = blob_fail(err, errlen, BLOB_ETOOBIG, "%s/%s: %lld bytes is too big", fs->path,
                       name, (long long)st.st_size);
    } else if (!(buf = malloc((size = (size_t)st.st_size) ? size : 1))) {
        rc = blob_fail(err, errlen, BLOB_ENOMEM, "%s/%s: out of memory for %zu bytes",
                       fs->path, name, size);
    } else {
        /* A file shorter than it was at fstat gives fewer bytes: the hash catches it. */
        while (got < size) {
            ssize_t n = read(fd, buf + got, size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = io_error(fs, name, "cannot read", err, errlen);
                break;
            }
            if (n == 0)
                break;
            got += (size_t)n;
        }
        version_of(&st, version);
    }
    close(fd);
    if (rc != BLOB_OK) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = got;
    return BLOB_OK;
}

static int file_has(void *state, const char *name, char *err, size_t errlen)
{
    file_store *fs = state;
    struct stat st;
    if (fstatat(fs->dir, name, &st, 0) == 0)
        return S_ISREG(st.st_mode) ? 1 : 0;
    if (errno == ENOENT)
        return 0;
    return io_error(fs, name, "cannot stat", err, errlen);
}

static int file_drop(void *state, const char *name, const blob_version *version, char *err,
                     size_t errlen)
{
    file_store *fs = state;
    struct stat st;
    blob_version now;
    if (fstatat(fs->dir, name, &st, 0) != 0)
        return errno == ENOENT ? BLOB_OK : io_error(fs, name, "cannot stat", err, errlen);
    version_of(&st, &now);
    if (memcmp(&now, version, sizeof(now)) != 0)
        return BLOB_OK; /* replaced since it was read: not the bad copy */
    if (unlinkat(fs->dir, name, 0) != 0 && errno != ENOENT)
        return io_error(fs, name, "cannot remove", err, errlen);
    return sync_dir(fs) == 0 ? BLOB_OK : io_error(fs, name, "cannot sync the directory", err, errlen);
}

const blob_backend blob_file_backend = {
    .open = file_open,
    .close = file_close,
    .put = file_put,
    .get = file_get,
    .has = file_has,
    .drop = file_drop,
};
