/*
 * Status codes and error records shared by every module.  The strings are
 * static so that lps_strerror() can be called from anywhere, including after
 * an allocation failure.
 */
#include "lpsearch.h"

#include <stdio.h>
#include <string.h>

const char *lps_strerror(int status)
{
    switch (status) {
    case LPS_OK: return "success";
    case LPS_ENOMEM: return "out of memory";
    case LPS_EIO: return "input/output error";
    case LPS_ENOENT: return "not found";
    case LPS_EINPUT: return "not a usable transcript";
    case LPS_EENCODING: return "invalid UTF-8";
    case LPS_ECORRUPT: return "corrupt data";
    case LPS_EVERSION: return "unsupported format version";
    case LPS_ESYNTAX: return "query syntax error";
    case LPS_ELIMIT: return "limit exceeded";
    case LPS_ELOCKED: return "index is locked by another writer";
    case LPS_EARG: return "invalid argument";
    case LPS_ETOOBIG: return "input too large";
    }
    return "unknown error";
}

void lps_error_clear(lps_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->line = -1;
    err->offset = -1;
}

const char *lps_error_format(const lps_error *err, char *buf, size_t bufsize)
{
    if (!buf || bufsize == 0)
        return buf;
    if (!err) {
        snprintf(buf, bufsize, "%s", lps_strerror(LPS_EARG));
        return buf;
    }
    const char *msg = err->message[0] ? err->message : lps_strerror(err->code);
    char where[1200] = "";
    size_t n = 0;
    if (err->path[0])
        n += (size_t)snprintf(where + n, sizeof where - n, "%s: ", err->path);
    if (err->line >= 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, "line %lld: ", err->line);
    else if (err->offset >= 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, "byte %lld: ", err->offset);
    if (err->section[0] && n < sizeof where)
        snprintf(where + n, sizeof where - n, "section %s: ", err->section);
    snprintf(buf, bufsize, "%s%s", where, msg);
    return buf;
}

#include "error_internal.h"

#include <stdarg.h>

static void error_fill(lps_error *err, int code, const char *path, long long line,
                       long long offset, const char *section, const char *fmt,
                       va_list ap)
{
    lps_error_clear(err);
    err->code = code;
    err->line = line;
    err->offset = offset;
    if (path)
        snprintf(err->path, sizeof err->path, "%s", path);
    if (section)
        snprintf(err->section, sizeof err->section, "%s", section);
    if (fmt)
        vsnprintf(err->message, sizeof err->message, fmt, ap);
}

int lps_error_set(lps_error *err, int code, const char *path, long long line,
                  long long offset, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    error_fill(err, code, path, line, offset, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int lps_error_set_section(lps_error *err, int code, const char *path,
                          const char *section, long long offset,
                          const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    error_fill(err, code, path, -1, offset, section, fmt, ap);
    va_end(ap);
    return code;
}
