/* The error-reason convention: a failing function fills a caller-owned
 * char err[ERR_LEN] (which may be NULL) with one lowercase line, the failed
 * thing first and the subject quoted: "cannot open 'wallet.dat': permission
 * denied". */
#ifndef CAIRN_UTIL_ERR_H
#define CAIRN_UTIL_ERR_H

#include <stddef.h>

#define ERR_LEN 256
#define WUR __attribute__((warn_unused_result))

/* Formats into err (ERR_LEN bytes) when err is not NULL. Always returns -1 so
 * that `return err_set(err, ...);` ends a failing int function. */
int err_set(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
