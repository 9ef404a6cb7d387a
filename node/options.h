/* cairnd's options: one table names every option with its type, default
 * and help; values come from the command line (-name=value or
 * --name=value, -name for true, -noname for false) and from cairn.conf
 * (name=value lines, # comments, [main]/[regtest] sections). The command
 * line wins over the file. */
#ifndef CAIRN_NODE_OPTIONS_H
#define CAIRN_NODE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

enum opt_type { OPT_BOOL, OPT_INT, OPT_STR, OPT_LIST };

struct opt_def {
	const char *name;
	enum opt_type type;
	const char *def; /* shown by --help; NULL: none */
	const char *help;
};

#define OPT_MAX_VALUES 64

struct options;

struct options *options_new(void);
void options_free(struct options *o);
/* Parses argv[1..]. Returns 0, or -1 with err naming the option. */
int options_parse_args(struct options *o, int argc, char *const *argv, char *err) WUR;
/* Reads a config file; a missing file is fine unless required. With
 * network NULL it applies the lines before any section, else only those in
 * the [network] section. Options already given on the command line are
 * left alone. Returns 0, or -1 with err naming the file and line. */
int options_read_conf(struct options *o, const char *path, bool required, const char *network, char *err) WUR;

bool options_is_set(const struct options *o, const char *name);
const char *options_str(const struct options *o, const char *name, const char *def);
int64_t options_int(const struct options *o, const char *name, int64_t def);
bool options_bool(const struct options *o, const char *name, bool def);
/* Every value given for a list option; *n receives the count. */
const char *const *options_list(const struct options *o, const char *name, size_t *n);

/* Writes the --help text listing every option with its default. */
void options_print_help(FILE *out);
/* Looks an option up; NULL when unknown. */
const struct opt_def *options_find(const char *name);

#endif
