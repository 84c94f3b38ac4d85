/* SPDX-License-Identifier: ISC */
/*
 * xlcfg.c: the xl domain configuration syntax, as xl.cfg(5) documents it
 * and libxlu's lexer and grammar (tools/libs/util/libxlu_cfg_l.l and
 * libxlu_cfg_y.y) accept it:
 *
 *   file   := { [setting] ( NEWLINE | ';' ) } [setting]
 *   setting:= KEY ( '=' | '+=' ) value
 *   value  := STRING | NUMBER | '[' {NEWLINE} [ value { ',' value } [','] ] ']'
 *
 * KEY is [a-z][._0-9a-z]*, NUMBER [0-9][0-9a-fx]*, a STRING is in single
 * or double quotes on one line with C's backslash escapes, '#' starts a
 * comment to the end of the line, and new lines may stand anywhere in a
 * list. A key set twice takes its last value; `+=` appends to the value
 * before it (strings joined, lists extended), and is refused for numbers,
 * as xl refuses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xlcfg.h"

enum tok { T_EOF, T_NEWLINE, T_SEMI, T_EQ, T_ADD, T_LBR, T_RBR, T_COMMA,
	T_KEY, T_NUMBER, T_STRING };

/* The scanner: the file's bytes, the next one's place, the last token. */
struct lex {
	const char *path, *p, *end;
	unsigned line, col;
	enum tok tok;
	unsigned tline, tcol;
	char *text;		/* KEY, NUMBER and STRING: the value, malloc'd */
};

/* The keys pvbuild takes, and how each is read. */
enum kind { K_STRING, K_NUMBER, K_LIST, K_TYPE };

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;		/* of the member of struct xlcfg */
	size_t max;		/* K_LIST: the most elements */
} keys[] = {
	{ "cmdline", K_STRING, offsetof(struct xlcfg, cmdline_key), 0 },
	{ "disk", K_LIST, offsetof(struct xlcfg, disk), PLAN_DISKS_MAX },
	{ "extra", K_STRING, offsetof(struct xlcfg, extra), 0 },
	{ "kernel", K_STRING, offsetof(struct xlcfg, kernel), 0 },
	{ "maxmem", K_NUMBER, offsetof(struct xlcfg, maxmem), 0 },
	{ "memory", K_NUMBER, offsetof(struct xlcfg, memory), 0 },
	{ "name", K_STRING, offsetof(struct xlcfg, name), 0 },
	{ "ramdisk", K_STRING, offsetof(struct xlcfg, ramdisk), 0 },
	{ "root", K_STRING, offsetof(struct xlcfg, root), 0 },
	{ "type", K_TYPE, 0, 0 },
	{ "vcpus", K_NUMBER, offsetof(struct xlcfg, vcpus), 0 },
	{ "vif", K_LIST, offsetof(struct xlcfg, vif), PLAN_NICS_MAX },
};

/* An error at the last token: "FILE: line L, column C: what". */
static int
at_token(struct lex *lx, struct pv_err *e, const char *what)
{
	return pv_fail(e, PV_EXIT_INPUT, "%s: line %u, column %u: %s",
	    lx->path, lx->tline, lx->tcol, what);
}

/* An error about a setting: "FILE: line L: what". */
static int
at_line(struct lex *lx, struct pv_err *e, unsigned line, const char *key,
    const char *what)
{
	return pv_fail(e, PV_EXIT_INPUT, "%s: line %u: %s%s%s", lx->path,
	    line, key != NULL ? key : "", key != NULL ? " " : "", what);
}

static int
is_key_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_' || ch == '.';
}

static int
hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static void
advance(struct lex *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else
		lx->col++;
	lx->p++;
}

/* A run of bytes from `start` to the scanner's place, as lx->text. */
static int
take_text(struct lex *lx, const char *start, struct pv_err *e)
{
	size_t len = (size_t)(lx->p - start);

	if ((lx->text = malloc(len + 1)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory",
		    lx->path);
	memcpy(lx->text, start, len);
	lx->text[len] = '\0';
	return 0;
}

/*
 * A quoted string, its quote at lx->p, decoded into lx->text. Its escapes
 * are C's letters, \\, \' and \" and \xHH; libxlu's digit escapes are
 * refused, since its documentation says octal where its code reads
 * decimal, and so is any escape that would make a NUL, which would cut
 * the value short where it is passed on.
 */
static int
string(struct lex *lx, struct pv_err *e)
{
	static const char letters[] = "abfnrtv", values[] = "\a\b\f\n\r\t\v";
	char quote = *lx->p, *q, *hit;
	int hi, lo;

	advance(lx);
	if ((q = lx->text = malloc((size_t)(lx->end - lx->p) + 1)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory",
		    lx->path);
	for (;;) {
		if (lx->p == lx->end || *lx->p == '\n')
			return at_token(lx, e, "unterminated string");
		if (*lx->p == quote)
			break;
		if (*lx->p != '\\') {
			*q++ = *lx->p;
			advance(lx);
			continue;
		}
		advance(lx);
		if (lx->p == lx->end || *lx->p == '\n')
			return at_token(lx, e, "unterminated string");
		if (*lx->p == '\\' || *lx->p == '\'' || *lx->p == '"')
			*q++ = *lx->p;
		else if ((hit = strchr(letters, *lx->p)) != NULL)
			*q++ = values[hit - letters];
		else if (*lx->p == 'x' && pv_inside(1, 2,
		    (uint64_t)(lx->end - lx->p)) &&
		    (hi = hex_digit(lx->p[1])) >= 0 &&
		    (lo = hex_digit(lx->p[2])) >= 0 && hi * 16 + lo != 0) {
			*q++ = (char)(hi * 16 + lo);
			advance(lx);
			advance(lx);
		} else
			return at_token(lx, e, "a backslash escape pvbuild "
			    "does not take in this string");
		advance(lx);
	}
	advance(lx);
	*q = '\0';
	lx->tok = T_STRING;
	return 0;
}

/* The next token into lx->tok (and lx->text); -1 on a lexical error. */
static int
next(struct lex *lx, struct pv_err *e)
{
	static const char singles[] = "\n;=[],";
	static const enum tok single_toks[] = { T_NEWLINE, T_SEMI, T_EQ,
	    T_LBR, T_RBR, T_COMMA };
	const char *start, *hit;

	free(lx->text);
	lx->text = NULL;
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		advance(lx);
	/* A comment ends at its line's end, which is the token. */
	if (lx->p < lx->end && *lx->p == '#')
		while (lx->p < lx->end && *lx->p != '\n')
			advance(lx);
	lx->tline = lx->line;
	lx->tcol = lx->col;
	if (lx->p == lx->end) {
		lx->tok = T_EOF;
		return 0;
	}
	start = lx->p;
	if ((hit = strchr(singles, *lx->p)) != NULL) {
		lx->tok = single_toks[hit - singles];
		advance(lx);
		return 0;
	}
	if (*lx->p == '+' && lx->end - lx->p > 1 && lx->p[1] == '=') {
		lx->tok = T_ADD;
		advance(lx);
		advance(lx);
		return 0;
	}
	if (*lx->p == '"' || *lx->p == '\'')
		return string(lx, e);
	if (*lx->p >= 'a' && *lx->p <= 'z') {
		while (lx->p < lx->end && is_key_char(*lx->p))
			advance(lx);
		lx->tok = T_KEY;
		return take_text(lx, start, e);
	}
	if (*lx->p >= '0' && *lx->p <= '9') {
		while (lx->p < lx->end && (hex_digit(*lx->p) >= 0 ?
		    !(*lx->p >= 'A' && *lx->p <= 'F') : *lx->p == 'x'))
			advance(lx);
		lx->tok = T_NUMBER;
		return take_text(lx, start, e);
	}
	return at_token(lx, e, "a character xl's configuration syntax does "
	    "not allow");
}

/*
 * A number as xl reads it (strtol with base 0: 0x hexadecimal, a leading
 * 0 octal), digits only; -1 when it is not one or does not fit.
 */
static int
number(const char *s, uint64_t *value)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] != '\0') {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] != '\0')
		base = 8;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if ((d = hex_digit(*s)) < 0 || (unsigned)d >= base ||
		    v > (UINT64_MAX - (unsigned)d) / base)
			return -1;
		v = v * base + (unsigned)d;
	}
	*value = v;
	return 0;
}

/* `old` followed by `add` (xl's `+=` of strings), `old` freed. */
static char *
join(char *old, const char *add)
{
	size_t a = old != NULL ? strlen(old) : 0, b = strlen(add);
	char *s;

	if ((s = malloc(a + b + 1)) != NULL) {
		memcpy(s, old != NULL ? old : "", a);
		memcpy(s + a, add, b + 1);
	}
	free(old);
	return s;
}

/* The next token of a list, where new lines (and comments) may stand. */
static int
next_in_list(struct lex *lx, struct pv_err *e)
{
	do {
		if (next(lx, e) < 0)
			return -1;
	} while (lx->tok == T_NEWLINE);
	return 0;
}

/*
 * A list value, its '[' just read: its strings appended to `l` (emptied
 * first for '='), at most k->max of them.
 */
static int
list(struct lex *lx, const struct key *k, struct xlcfg_list *l,
    unsigned line, struct pv_err *e)
{
	for (;;) {
		if (next_in_list(lx, e) < 0)
			return -1;
		if (lx->tok == T_RBR)
			return 0;
		if (lx->tok == T_LBR || lx->tok == T_NUMBER)
			return at_line(lx, e, line, k->name, "must be a list "
			    "of strings");
		if (lx->tok != T_STRING)
			return at_token(lx, e, "a string or ']' expected");
		if (l->nr >= k->max) {
			char what[64];

			snprintf(what, sizeof(what), "has more than %zu "
			    "entries", k->max);
			return at_line(lx, e, line, k->name, what);
		}
		l->v[l->nr++] = lx->text;
		lx->text = NULL;
		if (next_in_list(lx, e) < 0)
			return -1;
		if (lx->tok == T_RBR)
			return 0;
		if (lx->tok != T_COMMA)
			return at_token(lx, e, "',' or ']' expected");
	}
}

static void
list_clear(struct xlcfg_list *l)
{
	while (l->nr > 0)
		free(l->v[--l->nr]);
}

/*
 * The value of the key `k`, its '=' or '+=' just read (`add`), stored in
 * `c`. Types are checked as the value comes, so that the error names the
 * key: a list where a string belongs, a bare number for a path.
 */
static int
value(struct lex *lx, const struct key *k, int add, unsigned line,
    struct xlcfg *c, struct pv_err *e)
{
	void *slot = (char *)c + k->off;
	struct xlcfg_num *n = slot;
	struct xlcfg_list *l = slot;
	char **s = slot;

	if (next(lx, e) < 0)
		return -1;
	if (lx->tok != T_STRING && lx->tok != T_NUMBER && lx->tok != T_LBR)
		return at_token(lx, e, "a value expected");
	switch (k->kind) {
	case K_LIST:
		if (lx->tok != T_LBR)
			return at_line(lx, e, line, k->name, "must be a list "
			    "of strings");
		if (!add)
			list_clear(l);
		l->set = 1;
		return list(lx, k, l, line, e);
	case K_NUMBER:
		if (lx->tok == T_LBR)
			return at_line(lx, e, line, k->name, "must be a "
			    "number, not a list");
		if (add)
			return at_line(lx, e, line, k->name, "is a number: "
			    "'+=' does not apply");
		if (number(lx->text, &n->value) < 0)
			return at_line(lx, e, line, k->name, "is not a "
			    "number");
		n->set = 1;
		return 0;
	case K_TYPE:
		if (lx->tok != T_STRING || add)
			return at_line(lx, e, line, k->name, "must be the "
			    "string \"pv\" or \"pvh\"");
		if (strcmp(lx->text, "hvm") == 0)
			return at_line(lx, e, line, NULL, "type \"hvm\" is not "
			    "supported: pvbuild builds PV and PVH guests");
		if (strcmp(lx->text, "pv") != 0 && strcmp(lx->text, "pvh") != 0)
			return at_line(lx, e, line, k->name, "must be \"pv\" or "
			    "\"pvh\"");
		/* The last setting wins, as for every key. */
		c->pvh = strcmp(lx->text, "pvh") == 0;
		return 0;
	case K_STRING:
		if (lx->tok != T_STRING)
			return at_line(lx, e, line, k->name, lx->tok == T_LBR ?
			    "must be a string, not a list" : "must be a "
			    "string in quotes");
		if (add) {
			if ((*s = join(*s, lx->text)) == NULL)
				return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of "
				    "memory", lx->path);
		} else {
			free(*s);
			*s = lx->text;
			lx->text = NULL;
		}
		return 0;
	}
	return 0;
}

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The settings of the file, one after another, into `c`. */
static int
parse(struct lex *lx, struct xlcfg *c, struct pv_err *e)
{
	const struct key *k;
	unsigned line;
	int add;

	for (;;) {
		if (next(lx, e) < 0)
			return -1;
		if (lx->tok == T_EOF)
			return 0;
		if (lx->tok == T_NEWLINE || lx->tok == T_SEMI)
			continue;
		if (lx->tok != T_KEY)
			return at_token(lx, e, "a key expected");
		line = lx->tline;
		/* A key is [a-z][._0-9a-z]*: safe to quote, and cut. */
		if ((k = find_key(lx->text)) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: line %u: "
			    "\"%.64s\" is not supported", lx->path, line,
			    lx->text);
		if (next(lx, e) < 0)
			return -1;
		if (lx->tok != T_EQ && lx->tok != T_ADD)
			return at_token(lx, e, "'=' expected after the key");
		add = lx->tok == T_ADD;
		if (value(lx, k, add, line, c, e) < 0 || next(lx, e) < 0)
			return -1;
		if (lx->tok != T_NEWLINE && lx->tok != T_SEMI &&
		    lx->tok != T_EOF)
			return at_token(lx, e, "a new line or ';' expected "
			    "after the value");
		if (lx->tok == T_EOF)
			return 0;
	}
}

/* The file's bytes, at most XLCFG_MAX_SIZE of them, into buf. */
static int
slurp(const char *path, char *buf, size_t *len, struct pv_err *e)
{
	const char *nul, *p;
	unsigned line = 1;
	ssize_t n = 0;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path,
		    strerror(errno));
	/* One byte more than the limit tells a file over it. */
	while (*len <= XLCFG_MAX_SIZE) {
		n = read(fd, buf + *len, XLCFG_MAX_SIZE + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	if (n < 0) {
		pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (*len > XLCFG_MAX_SIZE)
		return pv_fail(e, PV_EXIT_INPUT, "%s: larger than %d KiB, "
		    "more than an xl configuration", path,
		    XLCFG_MAX_SIZE / 1024);
	if ((nul = memchr(buf, '\0', *len)) != NULL) {
		for (p = buf; p < nul; p++)
			line += *p == '\n';
		return pv_fail(e, PV_EXIT_INPUT, "%s: line %u: a NUL byte, "
		    "which no text has", path, line);
	}
	return 0;
}

/* xl's command line: cmdline as it is, else root=ROOT, then extra. */
static int
cmdline(struct xlcfg *c)
{
	size_t len;

	if (c->cmdline_key != NULL) {
		c->cmdline = strdup(c->cmdline_key);
		return c->cmdline != NULL ? 0 : -1;
	}
	if (c->root == NULL) {
		c->cmdline = c->extra != NULL ? strdup(c->extra) : NULL;
		return c->extra == NULL || c->cmdline != NULL ? 0 : -1;
	}
	len = strlen(c->root) + (c->extra != NULL ? strlen(c->extra) : 0) + 7;
	if ((c->cmdline = malloc(len)) == NULL)
		return -1;
	snprintf(c->cmdline, len, "root=%s%s%s", c->root,
	    c->extra != NULL ? " " : "", c->extra != NULL ? c->extra : "");
	return 0;
}

int
xlcfg_read(const char *path, struct xlcfg *c, struct pv_err *e)
{
	struct lex lx;
	char *buf;
	size_t len;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((buf = malloc(XLCFG_MAX_SIZE + 1)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory", path);
	if (slurp(path, buf, &len, e) < 0) {
		free(buf);
		return -1;
	}
	memset(&lx, 0, sizeof(lx));
	lx.path = path;
	lx.p = buf;
	lx.end = buf + len;
	lx.line = lx.col = 1;
	rc = parse(&lx, c, e);
	free(lx.text);
	free(buf);
	if (rc == 0 && cmdline(c) < 0)
		rc = pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory", path);
	return rc;
}

void
xlcfg_free(struct xlcfg *c)
{
	free(c->name);
	free(c->kernel);
	free(c->ramdisk);
	free(c->root);
	free(c->extra);
	free(c->cmdline_key);
	free(c->cmdline);
	list_clear(&c->disk);
	list_clear(&c->vif);
	memset(c, 0, sizeof(*c));
}
