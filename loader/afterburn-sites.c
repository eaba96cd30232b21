// SPDX-License-Identifier: MIT
/*
 * afterburn-sites: list, count and verify the sites that afterburn-as
 * recorded in ELF files.  This file holds main(), the option table and
 * the command dispatch; the commands live in sites-list.c and
 * sites-verify.c.  See afterburn-sites(1).
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

#ifndef OBJDUMP_PATH
#define OBJDUMP_PATH "objdump"
#endif


static const struct sites_cmd sites_commands[] = {
	{ "list",	sites__list },
	{ "stats",	sites__stats },
	{ "verify",	sites__verify },
};

enum {
	OPT_OBJDUMP = 256,
	OPT_VERSION,
	OPT_VERIFY,
};

static const struct option long_options[] = {
	{ "format",	required_argument,	NULL, 'f' },
	{ "stats",	no_argument,		NULL, 's' },
	{ "verify",	no_argument,		NULL, OPT_VERIFY },
	{ "enable",	required_argument,	NULL, 'e' },
	{ "disable",	required_argument,	NULL, 'd' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "objdump",	required_argument,	NULL, OPT_OBJDUMP },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 },
};

static const char usage_text[] =
"Usage: %s [OPTION]... FILE...\n"
"List, count or verify the Afterburn sites of ELF files (relocatable\n"
"objects or linked images).\n"
"\n"
"  -f, --format=FORMAT  output as 'table' (default) or 'tsv'\n"
"  -s, --stats          count sites per kind and per section\n"
"      --verify         disassemble with objdump and report sensitive\n"
"                       instructions that are not sites, and sites whose\n"
"                       bytes are not what their note says\n"
"  -e, --enable=KINDS   also expect these kinds to be sites (--verify);\n"
"                       KINDS is a comma-separated list or 'all'\n"
"  -d, --disable=KINDS  do not expect these kinds to be sites (--verify)\n"
"  -q, --quiet          --verify: print problems only, no summary\n"
"  -v, --verbose        --verify: also list each sensitive instruction of a\n"
"                       kind not expected to be a site (by default they\n"
"                       are counted per kind in the summary)\n"
"      --objdump=PATH   the GNU objdump to run (default: $AFTERBURN_OBJDUMP,\n"
"                       else " OBJDUMP_PATH ")\n"
"  -h, --help           show this help and exit\n"
"      --version        show the version and exit\n"
"\n"
"Exit status: 0 if all is well, 1 if --verify found problems, 2 on errors.\n";

static void __attribute__((noreturn)) usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", util__name());
	exit(SITES_ERROR);
}

/*
 * Set opts->expect[] for each kind named in the comma-separated @list
 * ("all" names every kind) to @value.  A kind name that the table does
 * not know is a usage error.
 */
static void set_kinds(struct sites_opts *opts, const char *list, bool value)
{
	char *copy = xstrdup(list), *name, *save = NULL;
	int kind;

	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (!strcmp(name, "all")) {
			for (kind = 1; kind <= AFB_KIND_MAX; kind++)
				opts->expect[kind] = value && afb_kind_name(kind);
			continue;
		}
		kind = afb_kind_from_name(name);
		if (kind < 0)
			usage_error("unknown kind '%s' (see afterburn/sensitive.tbl)",
				    name);
		opts->expect[kind] = value;
	}
	free(copy);
}

static void set_defaults(struct sites_opts *opts)
{
	unsigned int kind;
	const char *env = getenv("AFTERBURN_OBJDUMP");

	memset(opts, 0, sizeof(*opts));
	opts->format = SITES_FORMAT_TABLE;
	opts->objdump = env && *env ? env : OBJDUMP_PATH;
	for (kind = 1; kind <= AFB_KIND_MAX; kind++)
		opts->expect[kind] = afb_kind_default_on(kind);
}

static const struct sites_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sites_commands) / sizeof(sites_commands[0]); i++)
		if (!strcmp(sites_commands[i].name, name))
			return &sites_commands[i];
	return NULL;
}

/* Record the command an option selects; two different ones conflict. */
static void select_command(const char **cmd, const char *name)
{
	if (*cmd && strcmp(*cmd, name))
		usage_error("--%s and --%s cannot be combined", *cmd, name);
	*cmd = name;
}

static void set_format(struct sites_opts *opts, const char *arg)
{
	if (!strcmp(arg, "table"))
		opts->format = SITES_FORMAT_TABLE;
	else if (!strcmp(arg, "tsv"))
		opts->format = SITES_FORMAT_TSV;
	else
		usage_error("unknown format '%s' (use 'table' or 'tsv')", arg);
}

/* The option getopt_long() just rejected, for a message. */
static const char *option_text(char **argv, int opt)
{
	static char text[3];

	if (!opt)
		return argv[optind - 1];	/* a long option */
	snprintf(text, sizeof(text), "-%c", opt);
	return text;
}

/* Parse the options into @opts; returns the name of the command. */
static const char *parse_options(int argc, char **argv,
				 struct sites_opts *opts)
{
	const char *cmd = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:se:d:qvh", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'f': set_format(opts, optarg); break;
		case 's': select_command(&cmd, "stats"); break;
		case OPT_VERIFY: select_command(&cmd, "verify"); break;
		case 'e': set_kinds(opts, optarg, true); break;
		case 'd': set_kinds(opts, optarg, false); break;
		case 'q': opts->quiet = true; break;
		case 'v': opts->verbose = true; break;
		case OPT_OBJDUMP: opts->objdump = optarg; break;
		case 'h':
			printf(usage_text, util__name());
			exit(SITES_OK);
		case OPT_VERSION:
			printf("afterburn-sites (%s) %s\n", PACKAGE_NAME,
			       PACKAGE_VERSION);
			exit(SITES_OK);
		case ':':
			usage_error("option '%s' needs an argument",
				    option_text(argv, optopt));
		default:
			usage_error("unknown option '%s'",
				    option_text(argv, optopt));
		}
	}
	return cmd ? cmd : "list";
}

/* Open @path and run @cmd on it; returns the SITES_* status. */
static int run_file(const struct sites_cmd *cmd, const char *path,
		    const struct sites_opts *opts)
{
	struct afb_error err = { 0 };
	struct afb_image *image;
	int status;

	if (afb_image_open(path, &image, &err) < 0) {
		if (!strncmp(err.message, path, strlen(path)))
			pr_err("%s", err.message);
		else
			pr_err("%s: %s", path, err.message);
		return SITES_ERROR;
	}
	status = cmd->run(path, image, opts);
	afb_image_close(image);
	return status;
}

static const struct util_program sites_program = {
	.name = "afterburn-sites",
	.die_status = SITES_ERROR,
};

int main(int argc, char **argv)
{
	const struct sites_cmd *cmd;
	struct sites_opts opts;
	int status = SITES_OK, i, s;

	util__init(&sites_program);
	set_defaults(&opts);
	cmd = find_command(parse_options(argc, argv, &opts));
	if (optind >= argc)
		usage_error("no FILE given");
	opts.several = argc - optind > 1;
	for (i = optind; i < argc; i++) {
		s = run_file(cmd, argv[i], &opts);
		if (s > status)
			status = s;
	}
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("write error on standard output: %s", strerror(errno));
		return SITES_ERROR;
	}
	return status;
}
