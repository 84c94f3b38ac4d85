/* SPDX-License-Identifier: ISC */
/*
 * version.c: the version every program's --version prints. It is made at
 * build time (Makefile, build/version.h) from the VERSION file and, in a
 * git checkout, git describe; only this file sees that header, so a new
 * commit recompiles one file and relinks, not the whole tree.
 */
#include "pv.h"
#include "version.h"

const char pv_version[] = PV_VERSION_STRING;
