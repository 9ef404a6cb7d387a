/* The compact notation in which a method table row (rpc/server.h, struct
 * rpc_method) describes its parameters and its result, and its translation
 * to JSON Schema. `help` reads the parameter names from it, the dispatcher
 * maps named params by them, and rpc.discover (rpc/openrpc.h) turns the
 * same text into its OpenRPC document: one description, so the usage line,
 * the named params and the document cannot disagree.
 *
 * A type:
 *   str int num bool null any  the JSON types; any: no constraint
 *   hex                        a string of hex digits, two per byte
 *   hash                       64 hex digits: a block or transaction hash
 *   amount                     a number of CRN (at most 8 decimals); in a
 *                              parameter also a decimal string ("0.1"), and
 *                              never negative (rpc/amount.h)
 *   'word'                     exactly the string word
 *   [T]                        an array of T ([] any array)
 *   {k:T,j?:T}                 an object with exactly these keys, j? one that
 *                              may be missing; a last member ... admits others
 *   {*:T}                      an object whose every value is a T
 *   T|U                        either
 * No spaces inside a type. Keys are letters, digits, '_' and '-'.
 *
 * A parameter list: parameters separated by spaces, each
 *   name:T                     a required one
 *   [name:T=default]           an optional one; default is JSON, or for a
 *                              str or hex parameter the text as it is
 * with an optional description in parentheses after the type or default:
 *   "blockhash:hash (the block) [verbosity:int=1 (0 hex, 1 an object)]".
 * Required ones come first. A parameter without a type is any (tests use
 * the bare "a [b]" form); cairnd's own tables type every one. */
#ifndef CAIRN_RPC_SCHEMA_H
#define CAIRN_RPC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "util/err.h"

#define RPC_SCHEMA_NAME_MAX 47 /* longest parameter name */

/* One parameter of a list: spans into the list's text (len 0: not given). */
struct rpc_schema_param {
	const char *name, *type, *def, *desc;
	size_t name_len, type_len, def_len, desc_len;
	bool optional;
};

/* Reads the parameter at *p (a position in a parameter list) into *out and
 * moves *p past it. Returns 1 with a parameter, 0 at the list's end, or -1
 * with err filled (malformed; *p is then undefined). Only the syntax is
 * checked: types are checked by rpc_schema_type. */
int rpc_schema_next_param(const char **p, struct rpc_schema_param *out, char *err) WUR;

/* The JSON Schema of the type text[0, len), a new object the caller frees;
 * NULL with err filled when the type is malformed or memory runs out. */
cJSON *rpc_schema_type(const char *text, size_t len, char *err) WUR;

/* The JSON Schema of parameter p (its type and default), a new object the
 * caller frees; NULL with err filled (bad type or default, no memory). */
cJSON *rpc_schema_param_json(const struct rpc_schema_param *p, char *err) WUR;

#endif
