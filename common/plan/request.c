/* SPDX-License-Identifier: ISC */
/*
 * request.c: the request's members of layout beyond memory (README,
 * "layout"): vcpus, maxmem, name, disks and nics. The reader holds them
 * to the rules layout's options hold the request to (devspec.c), and the
 * writer is shared with the sim backend, whose domain.json records them.
 */
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "members.h"

static const char *const disk_keys[] = { "target", "vdev", "access", NULL };
static const char *const nic_keys[] = { "mac", "bridge", NULL };
static const char *const access_names[] = { "r", "rw" };

static int
read_disks(json_t *obj, const char *path, struct plan_layout *l,
    struct pv_err *e)
{
	char where[64];
	const char *s;
	json_t *arr, *d;
	size_t i, j, acc;

	if (pj_get_array(obj, path, "disks", 0, PLAN_DISKS_MAX, &arr, e) < 0)
		return -1;
	json_array_foreach(arr, i, d) {
		struct plan_disk *pd = &l->disks[i];

		snprintf(where, sizeof(where), "%s.disks[%zu]", path, i);
		if (pj_is_object(d, where, e) < 0 ||
		    pj_only_keys(d, where, disk_keys, e) < 0 ||
		    pj_get_str(d, where, "target", &s, e) < 0)
			return -1;
		if (plan_target_check(s) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.target: not a path "
			    "of 1 to %d bytes without control characters",
			    where, PLAN_TARGET_MAX);
		if ((pd->target = strdup(s)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		l->nr_disks = i + 1;
		if (pj_get_str(d, where, "vdev", &s, e) < 0)
			return -1;
		if (plan_vdev_check(s) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.vdev: \"%s\" is not "
			    "xvd and 1 to %d letters", where, s,
			    PLAN_VDEV_LETTERS);
		strcpy(pd->vdev, s);
		for (j = 0; j < i; j++)
			if (strcmp(l->disks[j].vdev, pd->vdev) == 0)
				return pv_fail(e, PV_EXIT_INPUT, "%s.vdev: \"%s\" "
				    "is disks[%zu]'s too", where, s, j);
		if (pj_get_enum(d, where, "access", access_names, 2, &acc,
		    e) < 0)
			return -1;
		pd->writable = acc == 1;
	}
	return 0;
}

static int
read_nics(json_t *obj, const char *path, struct plan_layout *l,
    struct pv_err *e)
{
	char where[64];
	const char *s;
	json_t *arr, *n;
	size_t i;

	if (pj_get_array(obj, path, "nics", 0, PLAN_NICS_MAX, &arr, e) < 0)
		return -1;
	json_array_foreach(arr, i, n) {
		struct plan_nic *pn = &l->nics[i];

		snprintf(where, sizeof(where), "%s.nics[%zu]", path, i);
		if (pj_is_object(n, where, e) < 0 ||
		    pj_only_keys(n, where, nic_keys, e) < 0 ||
		    pj_get_str(n, where, "mac", &s, e) < 0)
			return -1;
		if (plan_mac_parse(s, pn->mac) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.mac: \"%s\" is not "
			    "a unicast MAC, xx:xx:xx:xx:xx:xx", where, s);
		if (pj_get_str(n, where, "bridge", &s, e) < 0)
			return -1;
		if (plan_bridge_check(s) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.bridge: \"%s\" is "
			    "not an interface name of 1 to %d bytes", where, s,
			    PLAN_BRIDGE_MAX);
		if ((pn->bridge = strdup(s)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		l->nr_nics = i + 1;
	}
	return 0;
}

int
plan_request_read(json_t *obj, const char *path, const struct abi *abi,
    struct plan_layout *l, struct pv_err *e)
{
	uint64_t vcpus;
	const char *name;
	json_t *nj;

	if (pj_get_uint(obj, path, "vcpus", &vcpus, e) < 0)
		return -1;
	if (vcpus == 0 || vcpus > abi->ops->max_vcpus)
		return pv_fail(e, PV_EXIT_INPUT, "%s.vcpus: %llu, where a %s "
		    "domain has 1 to %u", path, (unsigned long long)vcpus,
		    abi->name, (unsigned)abi->ops->max_vcpus);
	l->vcpus = (uint32_t)vcpus;
	if (pj_get_uint(obj, path, "maxmem", &l->maxmem, e) < 0)
		return -1;
	if (l->maxmem < l->memory || (l->maxmem & (PV_PAGE_SIZE - 1)) != 0 ||
	    l->maxmem > plan_max_memory(abi))
		return pv_fail(e, PV_EXIT_INPUT, "%s.maxmem: %llu is not whole "
		    "pages from memory (%llu) up to the %s maximum 0x%llx",
		    path, (unsigned long long)l->maxmem,
		    (unsigned long long)l->memory, abi->name,
		    (unsigned long long)plan_max_memory(abi));
	if ((nj = json_object_get(obj, "name")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s.name: missing", path);
	if (!json_is_null(nj)) {
		if (pj_get_str(obj, path, "name", &name, e) < 0)
			return -1;
		if (plan_name_check(name) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.name: not 1 to %d "
			    "printable bytes without space or '/', and not "
			    "digits alone", path, PLAN_NAME_MAX);
		if ((l->name = strdup(name)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	if (read_disks(obj, path, l, e) < 0)
		return -1;
	return read_nics(obj, path, l, e);
}

int
plan_request_set(json_t *o, const struct plan_layout *l)
{
	json_t *disks = json_array(), *nics = json_array();
	char mac[PLAN_MAC_STRLEN];
	size_t i;
	int rc = 0;

	for (i = 0; i < l->nr_disks; i++)
		rc |= json_array_append_new(disks, json_pack("{s:s, s:s, s:s}",
		    "target", l->disks[i].target, "vdev", l->disks[i].vdev,
		    "access", l->disks[i].writable ? "rw" : "r"));
	for (i = 0; i < l->nr_nics; i++) {
		plan_mac_string(l->nics[i].mac, mac);
		rc |= json_array_append_new(nics, json_pack("{s:s, s:s}",
		    "mac", mac, "bridge", l->nics[i].bridge));
	}
	rc |= json_object_set_new(o, "vcpus", json_integer(l->vcpus));
	rc |= json_object_set_new(o, "maxmem", json_integer(
	    (json_int_t)l->maxmem));
	rc |= json_object_set_new(o, "name", l->name != NULL ?
	    json_string(l->name) : json_null());
	rc |= json_object_set_new(o, "disks", disks);
	rc |= json_object_set_new(o, "nics", nics);
	return rc != 0 ? -1 : 0;
}

void
plan_request_free(struct plan_layout *l)
{
	size_t i;

	for (i = 0; i < l->nr_disks; i++)
		free(l->disks[i].target);
	for (i = 0; i < l->nr_nics; i++)
		free(l->nics[i].bridge);
	free(l->name);
	l->nr_disks = l->nr_nics = 0;
	l->name = NULL;
}
