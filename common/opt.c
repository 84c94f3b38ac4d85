/* SPDX-License-Identifier: ISC */
/*
 * opt.c: the option table of opt.h over getopt_long. It prints (help and
 * usage errors), so, like cli.c, it serves mains only.
 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "opt.h"
#include "pv.h"

enum { KEY_HELP = -2, KEY_VERSION = -3 };

/*
 * getopt_long's view of the table, with --help and --version added. The
 * keys go through `flag` untouched; getopt_long returns 0 for each and the
 * key is read back from `slot`.
 */
static int slot;

static size_t
long_options(const struct opt_prog *p, struct option *lo)
{
	size_t n = 0;

	for (; n < OPT_MAX && p->opts != NULL && p->opts[n].name != NULL; n++)
		lo[n] = (struct option){ p->opts[n].name, p->opts[n].arg != NULL
		    ? required_argument : no_argument, &slot, p->opts[n].key };
	lo[n++] = (struct option){ "help", no_argument, &slot, KEY_HELP };
	lo[n++] = (struct option){ "version", no_argument, &slot, KEY_VERSION };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	return n;
}

static void vusage(const struct opt_prog *, const char *fmt, va_list)
    __attribute__((format(printf, 2, 0)));

static void
vusage(const struct opt_prog *p, const char *fmt, va_list ap)
{
	char msg[PV_MSG_SIZE];

	pv_vmessage(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s\nusage: %s\n", p->name, msg, p->synopsis);
}

int
opt_usage(const struct opt_prog *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage(p, fmt, ap);
	va_end(ap);
	return PV_EXIT_USAGE;
}

void
opt_help(const struct opt_prog *p, FILE *fp)
{
	const struct opt *o;
	const char *line, *nl;
	size_t w, width = 0;

	fprintf(fp, "usage: %s\n", p->synopsis);
	if (p->about != NULL && *p->about != '\0')
		fprintf(fp, "\n%s%s", p->about,
		    p->about[strlen(p->about) - 1] == '\n' ? "" : "\n");
	for (o = p->opts; o != NULL && o->name != NULL; o++) {
		if (o->help == NULL)
			continue;
		w = strlen(o->name) + (o->arg != NULL ? strlen(o->arg) + 1 : 0);
		if (w > width)
			width = w;
	}
	if (width > 0)
		fputc('\n', fp);
	for (o = p->opts; o != NULL && o->name != NULL; o++) {
		if (o->help == NULL)
			continue;
		w = strlen(o->name) + (o->arg != NULL ? strlen(o->arg) + 1 : 0);
		fprintf(fp, "  --%s%s%s%*s", o->name, o->arg != NULL ? " " : "",
		    o->arg != NULL ? o->arg : "", (int)(width - w + 2), "");
		for (line = o->help; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 1)
			fprintf(fp, "%.*s\n%*s", (int)(nl - line), line,
			    (int)width + 6, "");
		fprintf(fp, "%s\n", line);
	}
}

int
opt_next(const struct opt_prog *p, int argc, char **argv, char **value,
    int *status)
{
	struct option lo[OPT_MAX + 3];
	int c;

	long_options(p, lo);
	opterr = 0;
	slot = 0;
	*value = NULL;
	c = getopt_long(argc, argv, ":", lo, NULL);
	if (c == -1)
		return 0;
	if (c == ':') {
		*status = opt_usage(p, "%s needs a value", argv[optind - 1]);
		return -1;
	}
	if (c != 0) {
		*status = opt_usage(p, "unknown option '%s'", argv[optind - 1]);
		return -1;
	}
	switch (slot) {
	case KEY_HELP:
		opt_help(p, stdout);
		*status = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
		return -1;
	case KEY_VERSION:
		printf("%s (pvbuild) %s\n", p->name, PV_VERSION);
		*status = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
		return -1;
	}
	*value = optarg;
	return slot;
}
