/* SPDX-License-Identifier: ISC */
/*
 * devspec.c: the request's own strings (README, "layout"): xl's disk and
 * vif specs (xl-disk-configuration(5), xl-network-configuration(5)) for
 * what pvbuild covers, the rules for a domain name, a vdev, a bridge and
 * a MAC. The MAC a NIC gets when the request gives none is made in
 * nicmac.c, apart, so that the programs that only read plans need no
 * digest.
 *
 * Layout is the one parser of the spec strings (the xl.cfg reader passes
 * each list element on unchanged); the plan readers hold the members it
 * writes to the same rules, so a plan edited by hand meets them too.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* The longest spec string layout takes: far above any real one. */
#define SPEC_MAX 8192

/*
 * 1 to max bytes, none a control character or one of `banned`; with
 * `graphic`, printable ASCII without space too.
 */
static int
check_bytes(const char *s, size_t max, int graphic, const char *banned)
{
	size_t i, n = strlen(s);
	unsigned char c;

	if (n == 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < ' ' || c == 0x7f || strchr(banned, c) != NULL ||
		    (graphic && (c == ' ' || c > '~')))
			return -1;
	}
	return 0;
}

int
plan_name_check(const char *name)
{
	/* xl reads a name of digits alone as a domain id. */
	return check_bytes(name, PLAN_NAME_MAX, 1, "/") < 0 ||
	    strspn(name, "0123456789") == strlen(name) ? -1 : 0;
}

int
plan_vdev_check(const char *vdev)
{
	size_t n = strlen(vdev);

	return strncmp(vdev, "xvd", 3) == 0 && n >= 4 &&
	    n <= 3 + PLAN_VDEV_LETTERS &&
	    strspn(vdev + 3, "abcdefghijklmnopqrstuvwxyz") == n - 3 ? 0 : -1;
}

int
plan_bridge_check(const char *bridge)
{
	/* "." and ".." are no interface's name under /sys/class/net. */
	return check_bytes(bridge, PLAN_BRIDGE_MAX, 1, "/:") < 0 ||
	    strcmp(bridge, ".") == 0 || strcmp(bridge, "..") == 0 ? -1 : 0;
}

int
plan_target_check(const char *target)
{
	return check_bytes(target, PLAN_TARGET_MAX, 0, "");
}

int
plan_mac_parse(const char *s, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++, s += 3) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) ||
		    s[2] != (i == 5 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)strtoul((char[3]){ s[0], s[1], '\0' }, NULL,
		    16);
	}
	/* The group bit: a multicast address is no interface's. */
	return (mac[0] & 1) != 0 ? -1 : 0;
}

void
plan_mac_string(const uint8_t mac[6], char out[PLAN_MAC_STRLEN])
{
	snprintf(out, PLAN_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/*
 * The next comma-separated parameter of *p, blanks around it cut, NUL
 * ended in place; *p moves past its comma (NULL after the last).
 */
static char *
next_param(char **p)
{
	char *s = *p, *comma = strchr(s, ','), *end;

	*p = comma != NULL ? comma + 1 : NULL;
	if (comma != NULL)
		*comma = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* xl's disk spec parameters, positional ones in xl's order. */
enum { D_TARGET, D_FORMAT, D_VDEV, D_ACCESS, NR_DISK_PARAMS };
static const char *const disk_params[NR_DISK_PARAMS] = {
	"target", "format", "vdev", "access",
};

static int
disk_set(const char *vals[], int which, const char *v, struct pv_err *e)
{
	if (vals[which] != NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s given twice",
		    disk_params[which]);
	vals[which] = v;
	return 0;
}

/*
 * xl's deprecated prefixes (xl-disk-configuration(5), "Deprecated
 * parameters, prefixes and syntaxes"), which xl strips from the front of
 * a parameter, several in a row if need be (`tap:aio:`). A format prefix
 * sets the format; the others only said which backend xend should use and
 * are ignored, as xl ignores them (finalize stats the target in any case).
 * The script prefixes (iscsi:, nbd:, ...) name hotplug scripts, which
 * pvbuild does not run.
 */
static const char *const format_prefixes[] = { "raw", "qcow", "qcow2", "vhd",
	NULL };
static const char *const ignored_prefixes[] = { "phy", "file", "aio", "tap",
	"tap2", "tapdisk", "ioemu", NULL };

static int
in_list(const char *const list[], const char *word, size_t n)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncmp(list[i], word, n) == 0)
			return 1;
	return 0;
}

/*
 * Strip the prefixes at the front of *s. xl takes one of its words and a
 * colon for a prefix whatever follows, and any other lowercase word and a
 * colon for a prefix it does not know when no letter or digit follows
 * the colon (so that a file named "a:b" stays a target); *depr says a
 * prefix was seen, which makes the spec xl's old form TARGET,VDEV,ACCESS.
 */
static int
strip_prefixes(char **s, const char *vals[], int *depr,
    struct pv_err *e)
{
	char *p = *s;
	size_t n;

	for (;;) {
		n = 0;
		if (!islower((unsigned char)p[0]))
			break;
		while (islower((unsigned char)p[n]) ||
		    isdigit((unsigned char)p[n]))
			n++;
		if (p[n] != ':')
			break;
		if (in_list(format_prefixes, p, n)) {
			if (vals[D_FORMAT] != NULL)
				return pv_fail(e, PV_EXIT_INPUT, "format "
				    "given twice");
			/* A format is a word of its own in the spec
			 * buffer: cut the prefix's colon. */
			vals[D_FORMAT] = p;
			p[n] = '\0';
		} else if (!in_list(ignored_prefixes, p, n)) {
			/* A word xl does not know is a prefix only when
			 * no letter or digit follows its colon. */
			if (isalnum((unsigned char)p[n + 1]))
				break;
			return pv_fail(e, PV_EXIT_INPUT, "prefix \"%.*s:\": "
			    "not one of xl's that pvbuild takes (raw:, phy:, "
			    "file:, aio:, tap:, tap2:, tapdisk:, ioemu:; no "
			    "hotplug scripts)", (int)n, p);
		}
		*depr = 1;
		p += n + 1;
	}
	*s = p;
	return 0;
}

/*
 * A positional vdev may end in xl's deprecated ":disk" or ":cdrom", the
 * device type, with or without a prefix before it; a disk is what pvbuild
 * makes.
 */
static int
strip_devtype(char *vdev, struct pv_err *e)
{
	char *colon = strrchr(vdev, ':');

	if (colon == NULL)
		return 0;
	if (strcmp(colon + 1, "disk") != 0)
		return pv_fail(e, PV_EXIT_INPUT, "vdev \"%s\": device type "
		    "\"%s\" (pvbuild makes disks only)", vdev, colon + 1);
	*colon = '\0';
	return 0;
}

static int
disk_parse(char *buf, struct plan_disk *d, struct pv_err *e)
{
	const char *vals[NR_DISK_PARAMS] = { NULL };
	char *p = buf, *s, *eq, *word;
	int pos = 0, depr = 0, i;

	while (p != NULL) {
		/* target= takes the rest of the spec, commas and all. */
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "target=", 7) == 0) {
			if (disk_set(vals, D_TARGET, p + 7, e) < 0)
				return -1;
			break;
		}
		s = next_param(&p);
		if ((eq = strchr(s, '=')) != NULL) {
			*eq = '\0';
			for (i = 0; i < NR_DISK_PARAMS; i++)
				if (strcmp(s, disk_params[i]) == 0)
					break;
			if (i == NR_DISK_PARAMS)
				return pv_fail(e, PV_EXIT_INPUT, "unknown key "
				    "\"%s\" (pvbuild takes target, format, vdev "
				    "and access)", s);
			if (disk_set(vals, i, eq + 1, e) < 0)
				return -1;
			continue;
		}
		word = s;
		if (strip_prefixes(&word, vals, &depr, e) < 0)
			return -1;
		/*
		 * A bare word is the next positional parameter not given
		 * yet; an empty one leaves it to its default. After a
		 * prefix the spec is xl's old TARGET,VDEV,ACCESS, with no
		 * format among the positions.
		 */
		while (pos < NR_DISK_PARAMS && (vals[pos] != NULL ||
		    (pos == D_FORMAT && depr)))
			pos++;
		if (pos == NR_DISK_PARAMS)
			return pv_fail(e, PV_EXIT_INPUT, "\"%s\": more "
			    "parameters than target, format, vdev and access "
			    "(xl's flags are not taken)", word);
		if (pos == D_VDEV && strip_devtype(word, e) < 0)
			return -1;
		if (*word != '\0')
			vals[pos] = word;
		pos++;
	}
	if (vals[D_TARGET] == NULL || plan_target_check(vals[D_TARGET]) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "no target, or one that is "
		    "not a path of printable bytes up to %d", PLAN_TARGET_MAX);
	if (vals[D_FORMAT] != NULL && strcmp(vals[D_FORMAT], "raw") != 0)
		return pv_fail(e, PV_EXIT_INPUT, "format \"%s\": pvbuild "
		    "takes raw disks only", vals[D_FORMAT]);
	if (vals[D_VDEV] == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "no vdev (xl requires one)");
	if (plan_vdev_check(vals[D_VDEV]) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "vdev \"%s\": not a PV disk "
		    "name, xvd and 1 to %d letters", vals[D_VDEV],
		    PLAN_VDEV_LETTERS);
	d->writable = 1;
	if (vals[D_ACCESS] != NULL) {
		if (strcmp(vals[D_ACCESS], "r") == 0 ||
		    strcmp(vals[D_ACCESS], "ro") == 0)
			d->writable = 0;
		else if (strcmp(vals[D_ACCESS], "w") != 0 &&
		    strcmp(vals[D_ACCESS], "rw") != 0)
			return pv_fail(e, PV_EXIT_INPUT, "access \"%s\": not "
			    "r, ro, w or rw", vals[D_ACCESS]);
	}
	strcpy(d->vdev, vals[D_VDEV]);
	if ((d->target = strdup(vals[D_TARGET])) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	return 0;
}

static int
nic_parse(char *buf, struct plan_nic *n, int *has_mac, struct pv_err *e)
{
	const char *bridge = NULL, *mac = NULL;
	char *p = buf, *s, *eq;

	*has_mac = 0;
	/* An empty spec is a NIC with every default, as xl's vif=[''] is. */
	while (p != NULL) {
		s = next_param(&p);
		if (*s == '\0' && p == NULL && bridge == NULL && mac == NULL)
			break;
		if ((eq = strchr(s, '=')) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "\"%s\": not key=value",
			    s);
		*eq = '\0';
		if (strcmp(s, "bridge") == 0 && bridge == NULL)
			bridge = eq + 1;
		else if (strcmp(s, "mac") == 0 && mac == NULL)
			mac = eq + 1;
		else if (strcmp(s, "bridge") == 0 || strcmp(s, "mac") == 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s given twice", s);
		else
			return pv_fail(e, PV_EXIT_INPUT, "unknown key \"%s\" "
			    "(pvbuild takes bridge and mac)", s);
	}
	if (bridge == NULL)
		bridge = PLAN_BRIDGE_DEFAULT;
	if (plan_bridge_check(bridge) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "bridge \"%s\": not an "
		    "interface name (1 to %d printable bytes, no '/', ':' or "
		    "space)", bridge, PLAN_BRIDGE_MAX);
	if (mac != NULL) {
		if (plan_mac_parse(mac, n->mac) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "mac \"%s\": not six "
			    "hex bytes xx:xx:xx:xx:xx:xx of a unicast address",
			    mac);
		*has_mac = 1;
	}
	if ((n->bridge = strdup(bridge)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	return 0;
}

/* A copy of the spec to cut up, within its cap. */
static char *
spec_copy(const char *spec, struct pv_err *e)
{
	char *buf;

	if (strlen(spec) > SPEC_MAX) {
		pv_fail(e, PV_EXIT_INPUT, "longer than %d bytes", SPEC_MAX);
		return NULL;
	}
	if ((buf = strdup(spec)) == NULL)
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	return buf;
}

int
plan_disk_spec(const char *spec, struct plan_disk *d, struct pv_err *e)
{
	char *buf;
	int rc;

	memset(d, 0, sizeof(*d));
	if (spec[strspn(spec, " \t")] == '\0')
		return pv_fail(e, PV_EXIT_INPUT, "an empty spec");
	if ((buf = spec_copy(spec, e)) == NULL)
		return -1;
	rc = disk_parse(buf, d, e);
	free(buf);
	return rc;
}

int
plan_nic_spec(const char *spec, struct plan_nic *n, int *has_mac,
    struct pv_err *e)
{
	char *buf;
	int rc;

	memset(n, 0, sizeof(*n));
	if ((buf = spec_copy(spec, e)) == NULL)
		return -1;
	rc = nic_parse(buf, n, has_mac, e);
	free(buf);
	return rc;
}
