/* SPDX-License-Identifier: ISC */
/*
 * show.h: what show's main and its picture share. main.c reads the command
 * line and the plan; svg.c draws the plan's arrangement.
 */
#ifndef SHOW_H
#define SHOW_H

#include "plan.h"

/*
 * The arrangement of plan `p` (its elfinfo and layout, checked by the
 * plan's readers) as an SVG picture, in a buffer the caller frees: the
 * bootstrap region to scale, SVG_BAR_HEIGHT pixels from v_start at
 * y = SVG_BAR_TOP down to v_end, and what lies outside it drawn apart.
 * `name` (untrusted: the operand) titles it. Returns 0, or -1 with `e`
 * filled (out of memory).
 */
#define SVG_BAR_TOP 80
#define SVG_BAR_HEIGHT 1024
int svg_draw(const struct plan *p, const char *name, char **svg,
    struct pv_err *e);

#endif
