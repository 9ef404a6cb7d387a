#include "chain/verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
}

static void vfail(struct verdict *v, enum vresult r, const char *reason, const char *fmt, va_list ap)
{
	v->result = r;
	v->code = VC_NONE;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	v->debug[0] = '\0';
	if (fmt)
		vsnprintf(v->debug, sizeof(v->debug), fmt, ap);
}

bool verdict_fail(struct verdict *v, enum vresult r, const char *reason, const char *fmt, ...)
{
	va_list ap;
	if (!v)
		return false;
	va_start(ap, fmt);
	vfail(v, r, reason, fmt, ap);
	va_end(ap);
	return false;
}

bool verdict_code(struct verdict *v, enum vcode code)
{
	if (v)
		v->code = code;
	return false;
}

const char *verdict_result_name(enum vresult r)
{
	static const char *names[] = {
		"valid", "consensus", "mutated", "invalid-header", "cached-invalid",
		"missing-prev", "invalid-prev", "time-future", "missing-inputs",
		"premature", "conflict", "policy", "duplicate", "error",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}
