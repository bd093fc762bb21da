/* The `deflector OBJECT VERB [ARGS]` grammar: each object has a table of
 * verbs, every level answers `help`, `-h` and `--help`, and unambiguous
 * prefixes are accepted (bpftool's `cmd_select`). */
#ifndef DFL_CLI_CMD_H
#define DFL_CLI_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct dfl_cmd {
	const char *name;
	/* argv[0] is the verb itself; returns the process exit code. */
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line for the parent's help */
};

/* Runs the entry of <cmds> (terminated by a zero entry) named by argv[0].
 * <path> is the command path so far ("deflector policy") for messages. With no
 * argument or with help, prints the table and <usage>. Returns an exit code:
 * 2 for unknown or ambiguous verbs. */
int dfl_cmd_dispatch(const char *path, const struct dfl_cmd *cmds,
		     const char *usage, int argc, char **argv);

/* Prints the verbs of <cmds> under a "Commands:" heading. */
void dfl_cmd_print_table(FILE *out, const struct dfl_cmd *cmds);

/* True when <arg> asks for help (-h, --help, help). */
bool dfl_cmd_is_help(const char *arg);

/* Exit codes shared by every command. */
enum {
	DFL_EXIT_OK = 0,
	DFL_EXIT_FAIL = 1,  /* the answer is "no": findings, denied, ... */
	DFL_EXIT_USAGE = 2, /* bad arguments, unreadable input */
};

/* Output formats selected with -o/--output. */
enum dfl_output {
	DFL_OUT_TEXT = 0,
	DFL_OUT_JSON,
	DFL_OUT_SARIF,
	DFL_OUT_COMPACT,
	DFL_OUT_DICT,
	DFL_OUT_TABLE,
	DFL_OUT_JSONPB,
	DFL_OUT_CSV,
};

/* Parses <name> among the formats allowed by <allowed> (bit set of
 * 1 << enum dfl_output). Returns the format, or -1 after printing an error
 * naming <cmd> and the allowed names. */
int dfl_cmd_parse_output(const char *cmd, const char *name, unsigned int allowed);

/* Prints "deflector: <cmd>: <message>" to stderr, or {"error": "..."} to
 * stdout in JSON mode, as bpftool's p_err does. */
void dfl_cmd_error(bool json, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
