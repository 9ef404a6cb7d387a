/* The one way an array grows: doubling from a first size, every product
 * checked, so that no `cap * 2` or `cap * elem` can wrap around SIZE_MAX
 * into a small allocation that later writes run past. */
#ifndef CAIRN_UTIL_GROW_H
#define CAIRN_UTIL_GROW_H

#include <stddef.h>

#include "util/err.h"

/* The capacity an array of cap elements of elem bytes grows to so that it
 * holds at least need (which is at least 1): cap itself when it already
 * does, else the first of cap·2, cap·4, … (first, first·2, … when cap is
 * 0; a first of 0 counts as 1) that reaches need, clamped to max and to
 * the most elements whose bytes fit a size_t. Returns 0 when need itself is
 * past either bound. */
size_t grow_cap(size_t cap, size_t need, size_t elem, size_t first, size_t max) WUR;

/* Makes the array whose address is arrp (a T ** for elements of elem =
 * sizeof(T) bytes) hold at least need elements, reallocating it to
 * grow_cap(*cap, need, elem, first, max) elements when *cap is short.
 * Returns 0 with *cap updated (the new elements are not initialised), or -1
 * when grow_cap refuses or realloc fails, with the array and *cap
 * untouched. Pass SIZE_MAX as max for no bound. */
int grow_array(void *arrp, size_t *cap, size_t need, size_t elem, size_t first, size_t max) WUR;

#endif
