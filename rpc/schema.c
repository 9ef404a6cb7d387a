#include "rpc/schema.h"

#include <string.h>

/* The notation of rpc/schema.h: a recursive-descent reader over the static
 * strings of the method tables, run when a table is registered (which
 * refuses a malformed one) and again by rpc.discover. */

#define MAX_DEPTH 16 /* nested types (each [], {} member, | counts): far more than any row */

/* ---- parameter lists ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The end of a type or default starting at p: the first char of stops met
 * outside brackets and braces, or the string's end. */
static const char *scan(const char *p, const char *stops)
{
	int depth = 0;
	for (; *p; p++) {
		if (depth == 0 && strchr(stops, *p))
			break;
		if (*p == '[' || *p == '{')
			depth++;
		else if ((*p == ']' || *p == '}') && depth > 0)
			depth--;
	}
	return p;
}

/* A "(description)" at *p, nested parentheses allowed. */
static int read_desc(const char **p, struct rpc_schema_param *out, char *err)
{
	const char *s = *p + 1;
	int depth = 1;
	const char *q = s;
	for (; *q && depth; q++)
		depth += (*q == '(') - (*q == ')');
	if (depth)
		return err_set(err, "unclosed description of '%.*s'", (int)out->name_len, out->name);
	out->desc = s;
	out->desc_len = (size_t)(q - 1 - s);
	*p = q;
	return 0;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

int rpc_schema_next_param(const char **p, struct rpc_schema_param *out, char *err)
{
	const char *q;

	memset(out, 0, sizeof(*out));
	skip_spaces(p);
	if (!**p)
		return 0;
	out->optional = **p == '[';
	q = *p + out->optional;
	out->name = q;
	while (name_char(*q))
		q++;
	out->name_len = (size_t)(q - out->name);
	if (out->name_len == 0 || out->name_len > RPC_SCHEMA_NAME_MAX)
		return err_set(err, "bad parameter name at '%.20s'", *p);
	if (*q == ':') {
		out->type = ++q;
		q = scan(q, out->optional ? " =]" : " ");
		out->type_len = (size_t)(q - out->type);
	}
	if (out->optional && *q == '=') {
		out->def = ++q;
		q = scan(q, " ]");
		out->def_len = (size_t)(q - out->def);
		if (!out->def_len)
			return err_set(err, "empty default of '%.*s'", (int)out->name_len, out->name);
	}
	const char *before = q;
	skip_spaces(&q);
	if (*q == '(' && read_desc(&q, out, err) != 0)
		return -1;
	else if (!out->desc)
		q = before;
	if (out->optional) {
		skip_spaces(&q);
		if (*q++ != ']')
			return err_set(err, "unclosed parameter '%.*s'", (int)out->name_len, out->name);
	}
	if (*q && *q != ' ')
		return err_set(err, "bad parameter at '%.20s'", *p);
	*p = q;
	return 1;
}

/* ---- types ---- */

struct reader {
	const char *p, *end;
	int depth;
	bool input; /* a parameter's type: amounts may be strings too */
	char *err;
};

static cJSON *parse_union(struct reader *r);

static bool at(const struct reader *r, char c)
{
	return r->p < r->end && *r->p == c;
}

static cJSON *fail(struct reader *r, cJSON *partial, const char *what)
{
	cJSON_Delete(partial);
	err_set(r->err, "bad type at '%.*s': %s", (int)(r->end - r->p), r->p, what);
	return NULL;
}

static cJSON *oom(struct reader *r, cJSON *partial)
{
	cJSON_Delete(partial);
	err_set(r->err, "out of memory");
	return NULL;
}

/* {"type": name} plus, for hex and hash, a pattern. */
static cJSON *typed(const char *type, const char *pattern)
{
	cJSON *s = cJSON_CreateObject();
	bool ok = s && cJSON_AddStringToObject(s, "type", type) &&
		  (!pattern || cJSON_AddStringToObject(s, "pattern", pattern));
	if (!ok) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

static const struct {
	const char *word, *type, *pattern;
} prims[] = {
	{ "str", "string", NULL },
	{ "int", "integer", NULL },
	{ "num", "number", NULL },
	{ "amount", "number", NULL },
	{ "bool", "boolean", NULL },
	{ "null", "null", NULL },
	{ "hex", "string", "^([0-9a-fA-F]{2})*$" },
	{ "hash", "string", "^[0-9a-fA-F]{64}$" },
};

/* An amount a parameter takes (amount_from_json): a JSON number or a
 * decimal string, never negative. */
static cJSON *input_amount(struct reader *r)
{
	cJSON *s = cJSON_Parse("{\"anyOf\":[{\"type\":\"number\",\"minimum\":0},{\"type\":\"string\","
			       "\"pattern\":\"^[0-9]+(\\\\.[0-9]+)?([eE][-+]?[0-9]+)?$\"}]}");
	return s ? s : oom(r, NULL);
}

static cJSON *parse_word(struct reader *r)
{
	const char *s = r->p;
	while (r->p < r->end && *r->p >= 'a' && *r->p <= 'z')
		r->p++;
	size_t n = (size_t)(r->p - s);
	if (n == 3 && memcmp(s, "any", 3) == 0) {
		cJSON *t = cJSON_CreateObject();
		return t ? t : oom(r, NULL);
	}
	if (r->input && n == 6 && memcmp(s, "amount", 6) == 0)
		return input_amount(r);
	for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
		if (strlen(prims[i].word) == n && memcmp(s, prims[i].word, n) == 0) {
			cJSON *t = typed(prims[i].type, prims[i].pattern);
			return t ? t : oom(r, NULL);
		}
	r->p = s;
	return fail(r, NULL, "unknown type");
}

/* A JSON string item of s[0, n) (which has no NUL), or NULL. */
static cJSON *string_of(const char *s, size_t n)
{
	char buf[128];
	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return cJSON_CreateString(buf);
}

/* 'word': {"const": "word"}. */
static cJSON *parse_const(struct reader *r)
{
	const char *s = ++r->p;
	while (r->p < r->end && *r->p != '\'')
		r->p++;
	if (!at(r, '\''))
		return fail(r, NULL, "unclosed quote");
	cJSON *o = cJSON_CreateObject();
	cJSON *v = string_of(s, (size_t)(r->p - s));
	r->p++;
	if (!o || !v || !cJSON_AddItemToObject(o, "const", v)) {
		cJSON_Delete(v);
		return oom(r, o);
	}
	return o;
}

static bool add_item(struct reader *r, cJSON *to, const char *key, cJSON *item)
{
	if (item && (key ? cJSON_AddItemToObject(to, key, item) : cJSON_AddItemToArray(to, item)))
		return true;
	cJSON_Delete(item);
	oom(r, NULL);
	return false;
}

static cJSON *parse_array(struct reader *r)
{
	cJSON *s = typed("array", NULL);
	if (!s)
		return oom(r, NULL);
	r->p++;
	if (!at(r, ']')) {
		cJSON *items = parse_union(r);
		if (!items || !add_item(r, s, "items", items)) {
			cJSON_Delete(s);
			return NULL;
		}
	}
	if (!at(r, ']'))
		return fail(r, s, "expected ']'");
	r->p++;
	return s;
}

static bool key_char(char c)
{
	return name_char(c) || (c >= 'A' && c <= 'Z') || c == '-';
}

/* One "key:T" or "key?:T" of an object, added to props (and to required
 * unless marked '?'). */
static bool parse_member(struct reader *r, cJSON *props, cJSON *required)
{
	char key[64];
	const char *s = r->p;
	while (r->p < r->end && key_char(*r->p))
		r->p++;
	size_t n = (size_t)(r->p - s);
	bool opt = at(r, '?');
	r->p += opt;
	if (n == 0 || n >= sizeof(key) || !at(r, ':')) {
		fail(r, NULL, "bad member");
		return false;
	}
	r->p++;
	memcpy(key, s, n);
	key[n] = '\0';
	if (cJSON_GetObjectItemCaseSensitive(props, key)) {
		fail(r, NULL, "member twice");
		return false;
	}
	cJSON *t = parse_union(r);
	return t && add_item(r, props, key, t) && (opt || add_item(r, required, NULL, cJSON_CreateString(key)));
}

/* {*:T}: every value a T. */
static cJSON *parse_map(struct reader *r, cJSON *s)
{
	r->p += 2;
	cJSON *t = parse_union(r);
	if (!t || !add_item(r, s, "additionalProperties", t)) {
		cJSON_Delete(s);
		return NULL;
	}
	if (!at(r, '}'))
		return fail(r, s, "expected '}'");
	r->p++;
	return s;
}

static bool at_word(const struct reader *r, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(r->end - r->p) >= n && memcmp(r->p, w, n) == 0;
}

static cJSON *parse_object(struct reader *r)
{
	cJSON *s = typed("object", NULL);
	cJSON *props = cJSON_CreateObject();
	cJSON *required = cJSON_CreateArray();
	bool open = false;

	if (!s || !add_item(r, s, "properties", props) || !add_item(r, s, "required", required)) {
		cJSON_Delete(s);
		return NULL;
	}
	r->p++;
	if (at_word(r, "*:")) {
		cJSON_DeleteItemFromObject(s, "properties");
		cJSON_DeleteItemFromObject(s, "required");
		return parse_map(r, s);
	}
	while (!at(r, '}')) {
		if (at_word(r, "...")) {
			r->p += 3;
			open = true;
			break;
		}
		if (!parse_member(r, props, required)) {
			cJSON_Delete(s);
			return NULL;
		}
		if (!at(r, ','))
			break;
		r->p++;
	}
	if (!at(r, '}'))
		return fail(r, s, "expected '}'");
	r->p++;
	if (cJSON_GetArraySize(required) == 0)
		cJSON_DeleteItemFromObject(s, "required");
	if (!add_item(r, s, "additionalProperties", cJSON_CreateBool(open))) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

static cJSON *parse_one(struct reader *r)
{
	if (r->p >= r->end)
		return fail(r, NULL, "type expected");
	if (*r->p == '[')
		return parse_array(r);
	if (*r->p == '{')
		return parse_object(r);
	if (*r->p == '\'')
		return parse_const(r);
	return parse_word(r);
}

/* T|U|...: one type, or {"anyOf": [...]}. */
static cJSON *parse_union(struct reader *r)
{
	if (++r->depth > MAX_DEPTH)
		return fail(r, NULL, "nested too deeply");
	cJSON *first = parse_one(r);
	cJSON *any = NULL, *list = NULL;
	while (first && at(r, '|')) {
		r->p++;
		if (!any) {
			any = cJSON_CreateObject();
			list = cJSON_CreateArray();
			if (!add_item(r, any, "anyOf", list) || !add_item(r, list, NULL, first)) {
				cJSON_Delete(any);
				return NULL;
			}
		}
		if (!add_item(r, list, NULL, parse_one(r))) {
			cJSON_Delete(any);
			return NULL;
		}
	}
	r->depth--;
	return any ? any : first;
}

static cJSON *schema_of(const char *text, size_t len, bool input, char *err)
{
	struct reader r = { text, text + len, 0, input, err };
	cJSON *s = parse_union(&r);
	if (s && r.p != r.end)
		return fail(&r, s, "trailing text");
	return s;
}

cJSON *rpc_schema_type(const char *text, size_t len, char *err)
{
	return schema_of(text, len, false, err);
}

/* A default's JSON: the text itself for a str or hex parameter. */
static cJSON *default_json(const struct rpc_schema_param *p)
{
	bool text = (p->type_len == 3 && (memcmp(p->type, "str", 3) == 0 || memcmp(p->type, "hex", 3) == 0));
	if (text && p->def[0] != '"')
		return string_of(p->def, p->def_len);
	/* cJSON stops at the value's end: the whole default must be the value. */
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(p->def, p->def_len, &end, false);
	if (v && end != p->def + p->def_len) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

cJSON *rpc_schema_param_json(const struct rpc_schema_param *p, char *err)
{
	cJSON *s = p->type_len ? schema_of(p->type, p->type_len, true, err) : cJSON_CreateObject();
	if (!s) {
		if (!p->type_len)
			err_set(err, "out of memory");
		return NULL;
	}
	if (p->def_len) {
		cJSON *d = default_json(p);
		if (!d || !cJSON_AddItemToObject(s, "default", d)) {
			cJSON_Delete(d);
			cJSON_Delete(s);
			err_set(err, "bad default '%.*s' of '%.*s'", (int)p->def_len, p->def, (int)p->name_len, p->name);
			return NULL;
		}
	}
	return s;
}
