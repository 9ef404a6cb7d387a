#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t grow_cap(size_t cap, size_t need, size_t elem, size_t first, size_t max)
{
	if (elem == 0)
		return 0;
	size_t limit = max < SIZE_MAX / elem ? max : SIZE_MAX / elem;
	if (need > limit)
		return 0;
	if (cap >= need)
		return cap;
	size_t n = cap ? cap : (first ? first : 1);
	while (n < need)
		n = n > SIZE_MAX / 2 ? SIZE_MAX : n * 2;
	return n < limit ? n : limit;
}

int grow_array(void *arrp, size_t *cap, size_t need, size_t elem, size_t first, size_t max)
{
	if (*cap >= need && need <= max)
		return 0;
	size_t n = grow_cap(*cap, need, elem, first, max);
	if (n == 0)
		return -1;
	/* The caller's pointer is copied in and out rather than written
	 * through a void ** cast, which would alias a T * as a void *. */
	void *p;
	memcpy(&p, arrp, sizeof(p));
	void *q = realloc(p, n * elem);
	if (!q)
		return -1;
	memcpy(arrp, &q, sizeof(q));
	*cap = n;
	return 0;
}
