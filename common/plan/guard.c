/* SPDX-License-Identifier: ISC */
/*
 * guard.c: the streaming byte guard plan_read and plan_read_buffer parse
 * through (members.h, plan_load_guarded).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "members.h"

/*
 * A guard on the bytes jansson reads, so that a plan too large to be real is
 * refused while it is read, before it is a tree of a million nodes: it
 * follows the JSON's nesting (strings, keys, arrays, objects) and stops the
 * read at the first array longer than any plan holds, the first object
 * with more members than any plan's (the largest, elfinfo's and its notes,
 * have a few dozen), or past PLAN_MAX_BYTES, naming the array or object as
 * parse_members would. Syntax is left to jansson.
 */
#define PLAN_MAX_BYTES (256u << 20)
#define PLAN_MAX_ARRAY MAX_WRITES
#define PLAN_MAX_MEMBERS 256
#define GUARD_DEPTH 32
#define GUARD_KEY 40

struct guard_frame {
	char kind;		/* '{' or '[' */
	uint32_t count;		/* elements or members begun */
	char key[GUARD_KEY];	/* object: the current member's key */
};

struct guard {
	FILE *fp;			/* the source: a file, */
	const char *buf;		/* or a buffer */
	size_t len, pos;
	uint64_t total;
	struct guard_frame st[GUARD_DEPTH];
	unsigned depth;			/* frames open, maybe past GUARD_DEPTH */
	int in_str, esc, is_key, want_value, want_key;
	size_t keylen;
	char key[GUARD_KEY];
	char err[192];
};

static void
guard_path(const struct guard *g, char *out, size_t outsz)
{
	size_t o = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i + 1 < g->depth && i < GUARD_DEPTH && o < outsz; i++) {
		if (g->st[i].kind == '{')
			o += (size_t)snprintf(out + o, outsz - o, "%s%s",
			    i == 0 ? "" : ".", g->st[i].key);
		else
			o += (size_t)snprintf(out + o, outsz - o, "[%u]",
			    g->st[i].count - 1);
	}
}

/* Follow bytes [p, p + n); -1 with g->err set at the first excess. */
static int
guard_scan(struct guard *g, const char *p, size_t n)
{
	struct guard_frame *f;
	char path[128];
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (g->in_str) {
			if (g->esc)
				g->esc = 0;
			else if (c == '\\')
				g->esc = 1;
			else if (c == '"')
				g->in_str = 0;
			if (g->is_key && g->in_str && g->keylen + 1 < GUARD_KEY)
				g->key[g->keylen++] = c;
			if (g->is_key && !g->in_str) {
				g->key[g->keylen] = '\0';
				if (g->depth > 0 && g->depth <= GUARD_DEPTH)
					memcpy(g->st[g->depth - 1].key, g->key,
					    g->keylen + 1);
				g->is_key = 0;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		f = g->depth > 0 && g->depth <= GUARD_DEPTH ?
		    &g->st[g->depth - 1] : NULL;
		/* A value begins in an array: count it. */
		if (g->want_value && c != ']' && f != NULL && f->kind == '[') {
			if (++f->count > PLAN_MAX_ARRAY) {
				guard_path(g, path, sizeof(path));
				snprintf(g->err, sizeof(g->err), "%s: more "
				    "than %u entries (no plan has so many)",
				    path[0] != '\0' ? path : "array",
				    PLAN_MAX_ARRAY);
				return -1;
			}
		}
		g->want_value = 0;
		/* A member begins in an object: count it. */
		if (g->want_key && c == '"' && f != NULL && f->kind == '{' &&
		    ++f->count > PLAN_MAX_MEMBERS) {
			guard_path(g, path, sizeof(path));
			snprintf(g->err, sizeof(g->err), "%s: more than %u "
			    "members (no plan has so many)",
			    path[0] != '\0' ? path : "object", PLAN_MAX_MEMBERS);
			return -1;
		}
		switch (c) {
		case '"':
			g->in_str = 1;
			g->is_key = g->want_key;
			g->keylen = 0;
			g->want_key = 0;
			break;
		case '{':
		case '[':
			if (g->depth < GUARD_DEPTH) {
				g->st[g->depth].kind = c;
				g->st[g->depth].count = 0;
				g->st[g->depth].key[0] = '\0';
			}
			g->depth++;
			g->want_key = c == '{';
			g->want_value = c == '[';
			break;
		case '}':
		case ']':
			if (g->depth > 0)
				g->depth--;
			break;
		case ',':
			g->want_key = f != NULL && f->kind == '{';
			g->want_value = f != NULL && f->kind == '[';
			break;
		default:
			break;
		}
	}
	return 0;
}

/* jansson's source of bytes, through the guard. */
static size_t
guard_read(void *out, size_t size, void *arg)
{
	struct guard *g = arg;
	size_t n;

	if (g->err[0] != '\0')
		return (size_t)-1;
	if (g->fp != NULL) {
		n = fread(out, 1, size, g->fp);
		if (n == 0 && ferror(g->fp)) {
			snprintf(g->err, sizeof(g->err), "read error: %s",
			    strerror(errno));
			return (size_t)-1;
		}
	} else {
		n = g->len - g->pos < size ? g->len - g->pos : size;
		memcpy(out, g->buf + g->pos, n);
		g->pos += n;
	}
	g->total += n;
	if (g->total > PLAN_MAX_BYTES) {
		snprintf(g->err, sizeof(g->err), "larger than %u MiB (no plan "
		    "is)", PLAN_MAX_BYTES >> 20);
		return (size_t)-1;
	}
	return guard_scan(g, out, n) < 0 ? (size_t)-1 : n;
}
int
plan_load_guarded(FILE *fp, const char *buf, size_t len, const char *name,
    json_t **root, json_error_t *je, struct pv_err *e)
{
	struct guard *g;

	*root = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	g->fp = fp;
	g->buf = buf;
	g->len = len;
	*root = json_load_callback(guard_read, g, JSON_REJECT_DUPLICATES, je);
	if (g->err[0] != '\0') {
		json_decref(*root);
		*root = NULL;
		pv_fail(e, PV_EXIT_INPUT, "%s: %s", name, g->err);
		free(g);
		return -1;
	}
	free(g);
	return 0;
}
