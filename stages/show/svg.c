/* SPDX-License-Identifier: ISC */
/*
 * svg.c: the arrangement as a picture (show.h), so that an auditor can
 * look at the bootstrap region instead of reading addresses. The region
 * is one bar drawn to scale, v_start at the top: a part of it is a
 * rectangle of the part's size, however thin, named in a column of labels
 * beside the bar with its range and size; the space no part takes is
 * left pale and named "Unused" when a page or more. What the domain holds
 * outside the region (an initrd passed by pfn, an INIT_P2M list) cannot
 * be drawn to the region's scale: it is a dashed box of its own in a
 * column at the right, and named in the labels at the empty place the
 * region keeps for it. The request beyond memory is listed as text under
 * the picture.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrangement.h"
#include "show.h"

#define BAR_X 200
#define BAR_W 150
#define LABEL_X 390
#define LABEL_STEP 16
#define APART_X 930
#define APART_W 300
#define APART_H 76
#define WIDTH (APART_X + APART_W + 20)

/* The colours of the parts, by region. */
static const char *const fill[NR_REGIONS] = {
	[REGION_KERNEL] = "#9ecae1",
	[REGION_INITRD] = "#a1d99b",
	[REGION_P2M] = "#fdae6b",
	[REGION_PAGETABLES] = "#bcbddc",
	[REGION_START_INFO] = "#fdd0a2",
	[REGION_STACK] = "#fc9272",
	[REGION_XENSTORE] = "#c7e9c0",
	[REGION_CONSOLE] = "#c6dbef",
	[REGION_ACPI] = "#dadaeb",
};

/*
 * Text from outside (the operand, the kernel's path) as XML character
 * data: first one printable line of valid UTF-8 (pv_escape), then with
 * XML's own five characters escaped.
 */
static void
put_text(FILE *fp, const char *s)
{
	char line[1024];
	const char *c;

	pv_escape(line, sizeof(line), s, strlen(s));
	for (c = line; *c != '\0'; c++)
		switch (*c) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&apos;", fp); break;
		default: fputc(*c, fp); break;
		}
}

/* A <text> element at (x, y), left open for its content. */
static void
text_open(FILE *fp, double x, double y, const char *class)
{
	fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" class=\"%s\">", x, y, class);
}

/* A line of text at (x, y); the format's arguments are the program's own. */
static void
text(FILE *fp, double x, double y, const char *class, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
text(FILE *fp, double x, double y, const char *class, const char *fmt, ...)
{
	va_list ap;

	text_open(fp, x, y, class);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputs("</text>\n", fp);
}

/* The y of address va on the bar: the region's scale. */
static double
bar_y(const struct plan_layout *l, uint64_t va)
{
	return SVG_BAR_TOP + (double)(va - l->v_start) * SVG_BAR_HEIGHT /
	    (double)(l->v_end - l->v_start);
}

/*
 * A part's label beside the bar, at its middle or below the label before
 * it (*next), with a leader from the bar to it.
 */
static void
label(FILE *fp, double mid, double *next, const char *name,
    const char *what)
{
	double y = mid + 4 > *next ? mid + 4 : *next;

	fprintf(fp, "<polyline class=\"leader\" points=\"%d,%.2f %d,%.2f "
	    "%d,%.2f\"/>\n", BAR_X + BAR_W, mid, BAR_X + BAR_W + 12, mid,
	    LABEL_X - 6, y - 4);
	text(fp, LABEL_X, y, "label", "%-14s %s", name, what);
	*next = y + LABEL_STEP;
}

/*
 * A part outside the region: a box of its own in the column at the right;
 * *apart_y is where the next box goes.
 */
static void
apart(FILE *fp, const struct arrangement_row *r, int w, double *apart_y)
{
	char size[ARRANGEMENT_SIZE_LEN];
	double y = *apart_y;

	arrangement_size(r->size, size);
	fprintf(fp, "<rect id=\"%s\" class=\"apart\" x=\"%d\" y=\"%.2f\" "
	    "width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
	    plan_region_names[r->id], APART_X, y, APART_W, APART_H,
	    fill[r->id]);
	text(fp, APART_X + 8, y + 18, "label", "%s", r->label);
	if (r->kind == ARR_PFN) {
		text(fp, APART_X + 8, y + 36, "label", "unmapped, pfn %llu",
		    (unsigned long long)r->pfn);
		text(fp, APART_X + 8, y + 54, "label", "pfns %llu-%llu, %s",
		    (unsigned long long)r->pfn,
		    (unsigned long long)(r->pfn + r->pages - 1), size);
	} else {
		text(fp, APART_X + 8, y + 36, "label", "%0*llx->%0*llx", w,
		    (unsigned long long)r->start, w, (unsigned long long)r->end);
		text(fp, APART_X + 8, y + 54, "label", "mapped apart, pfn %llu, "
		    "%s", (unsigned long long)r->pfn, size);
		text(fp, APART_X + 8, y + 70, "label", "+%llu pages of its page "
		    "tables", (unsigned long long)r->pt_pages);
	}
	*apart_y = y + APART_H + 24;
}

/* Space of the region that no part takes, when a page or more. */
static void
unused(FILE *fp, const struct plan_layout *l, uint64_t from, uint64_t to,
    int w, double *next)
{
	char size[ARRANGEMENT_SIZE_LEN], what[128];

	if (to <= from || to - from < PV_PAGE_SIZE)
		return;
	snprintf(what, sizeof(what), "%0*llx->%0*llx  %s", w,
	    (unsigned long long)from, w, (unsigned long long)to,
	    arrangement_size(to - from, size));
	label(fp, (bar_y(l, from) + bar_y(l, to)) / 2, next, "Unused", what);
}

/*
 * The region's parts: the bar, each part on it and the space between,
 * with their labels; a part outside the region is named at its place and
 * drawn apart.
 */
static void
parts(FILE *fp, const struct plan *p, int w, double *next, double *apart_y)
{
	const struct plan_layout *l = p->layout;
	struct arrangement_row rows[NR_REGIONS], *r;
	char size[ARRANGEMENT_SIZE_LEN], what[128];
	uint64_t used = l->v_start;
	double y, h;
	size_t i, n;

	fprintf(fp, "<rect id=\"region\" class=\"free\" x=\"%d\" y=\"%d\" "
	    "width=\"%d\" height=\"%d\"/>\n", BAR_X, SVG_BAR_TOP, BAR_W,
	    SVG_BAR_HEIGHT);
	n = arrangement_rows(p->elfinfo, l, rows);
	for (i = 0; i < n; i++) {
		r = &rows[i];
		if (r->kind == ARR_NONE)
			continue;
		if (r->kind != ARR_MAPPED) {
			apart(fp, r, w, apart_y);
			label(fp, bar_y(l, l->regions[r->id].start), next,
			    r->label, "outside the region, at the right");
			continue;
		}
		unused(fp, l, used, r->start, w, next);
		y = bar_y(l, r->start);
		h = bar_y(l, r->end) - y;
		fprintf(fp, "<rect id=\"%s\" class=\"part\" x=\"%d\" "
		    "y=\"%.2f\" width=\"%d\" height=\"%.2f\" fill=\"%s\"/>\n",
		    plan_region_names[r->id], BAR_X, y, BAR_W, h, fill[r->id]);
		snprintf(what, sizeof(what), "%0*llx->%0*llx  %s", w,
		    (unsigned long long)r->start, w, (unsigned long long)r->end,
		    arrangement_size(r->size, size));
		label(fp, y + h / 2, next, r->label, what);
		if (r->end > used)
			used = r->end;
	}
	unused(fp, l, used, l->v_end, w, next);
}

/*
 * The request beyond memory (vCPUs, maxmem, name, disks, NICs) as the
 * text report has it, a line each under the picture, from *next down.
 */
static int
request(FILE *fp, const struct plan_layout *l, double *next,
    struct pv_err *e)
{
	char *text, *s, *nl;

	if (!arrangement_has_request(l))
		return 0;
	if (arrangement_request(l, &text, e) < 0)
		return -1;
	*next += LABEL_STEP;
	for (s = text; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		*nl = '\0';
		*next += LABEL_STEP;
		text_open(fp, 10, *next, "request");
		put_text(fp, s);
		fputs("</text>\n", fp);
	}
	free(text);
	return 0;
}

int
svg_draw(const struct plan *p, const char *name, char **svg,
    struct pv_err *e)
{
	const struct plan_layout *l = p->layout;
	char size[ARRANGEMENT_SIZE_LEN], mem[ARRANGEMENT_SIZE_LEN];
	int w = p->elfinfo->abi->word == 8 ? 16 : 8;
	double next = SVG_BAR_TOP, apart_y = SVG_BAR_TOP + 24, y;
	size_t len;
	char *body;
	FILE *fp;

	/* The body first: the picture's height is known only after it. */
	*svg = NULL;
	if ((fp = open_memstream(&body, &len)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "svg: %s", strerror(errno));
	text_open(fp, 10, 24, "title");
	fputs("VIRTUAL MEMORY ARRANGEMENT of ", fp);
	put_text(fp, name);
	fputs("</text>\n", fp);
	text_open(fp, 10, 44, "label");
	fprintf(fp, "%s, %llu pages (%s), kernel ", p->elfinfo->abi->name,
	    (unsigned long long)l->nr_pages, arrangement_size(l->memory, mem));
	put_text(fp, p->elfinfo->image.path);
	fputs("</text>\n", fp);
	text(fp, 10, 64, "label", "the bootstrap region to scale: %d px for "
	    "%s, pfns 0-%llu mapped 1:1 from v_start", SVG_BAR_HEIGHT,
	    arrangement_size(l->v_end - l->v_start, size),
	    (unsigned long long)(plan_bootstrap_pages(l) - 1));
	text(fp, BAR_X - 8, SVG_BAR_TOP + 4, "addr", "v_start %0*llx", w,
	    (unsigned long long)l->v_start);
	text(fp, BAR_X - 8, SVG_BAR_TOP + SVG_BAR_HEIGHT + 4, "addr",
	    "v_end %0*llx", w, (unsigned long long)l->v_end);
	/* The entry, marked on the bar; its text clear of v_start's. */
	y = bar_y(l, p->elfinfo->entry);
	fprintf(fp, "<polyline class=\"leader\" points=\"%d,%.2f %d,%.2f\"/>\n",
	    BAR_X - 6, y, BAR_X + BAR_W, y);
	text(fp, BAR_X - 8, y + 4 < SVG_BAR_TOP + 4 + LABEL_STEP ?
	    SVG_BAR_TOP + 4 + LABEL_STEP : y + 4, "addr", "entry %0*llx", w,
	    (unsigned long long)p->elfinfo->entry);
	parts(fp, p, w, &next, &apart_y);
	if (apart_y > SVG_BAR_TOP + 24)
		text(fp, APART_X, SVG_BAR_TOP + 12, "label", "outside the "
		    "region (not to scale)");
	if (next < SVG_BAR_TOP + SVG_BAR_HEIGHT + 20)
		next = SVG_BAR_TOP + SVG_BAR_HEIGHT + 20;
	if (next < apart_y)
		next = apart_y;
	if (request(fp, l, &next, e) < 0) {
		fclose(fp);
		free(body);
		return -1;
	}
	if (ferror(fp) | fclose(fp)) {
		free(body);
		return pv_fail(e, PV_EXIT_SYSTEM, "svg: out of memory");
	}
	if (asprintf(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\">\n"
	    "<desc>pvbuild show --svg: y = %d + (va - v_start) * %d / "
	    "(v_end - v_start) on the bar</desc>\n"
	    "<style>\n"
	    "text { font: 12px monospace; white-space: pre; }\n"
	    ".title { font: bold 14px monospace; }\n"
	    ".addr { text-anchor: end; }\n"
	    ".free { fill: #f4f4f4; stroke: #444; }\n"
	    ".part { stroke: #444; stroke-width: 0.5; }\n"
	    ".apart { stroke: #444; stroke-dasharray: 4 3; }\n"
	    ".leader { fill: none; stroke: #888; stroke-width: 0.5; }\n"
	    "</style>\n%s</svg>\n", WIDTH, (int)next + 20, WIDTH,
	    (int)next + 20, SVG_BAR_TOP, SVG_BAR_HEIGHT, body) < 0) {
		free(body);
		return pv_fail(e, PV_EXIT_SYSTEM, "svg: out of memory");
	}
	free(body);
	return 0;
}
