#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Feed bin/boot PVH sim domains whose domain.json is edited, to search
boot's reader of that file, which is untrusted as a plan is.

usage: bootdoms.py [--seed S] [--count N] [--index I] [--jobs N]
                   [--timeout S] [--top DIR] BASEDIR WORK

BASEDIR holds base plans (tests/plans/bases.sh); each PVH one (pvh-*.json)
is built once by `finalize --backend sim` into WORK. Mutant i (its own
random.Random("S:i")) copies one of those domains, machine.mem linked,
not copied (boot never writes it), and edits its domain.json once:

  limit   a number (or hex string) moved to a limit of its word (0, 1,
          2^32-1, 2^32, 2^64-1, 2^64, -1), to a neighbour (+-1, +-a page)
          or to an address of the domain (the hole, 4 GiB, RAM's end)
  bit     one bit of a vCPU register, segment attribute or map type
  array   a memory map entry duplicated, dropped or moved
  drop    a member deleted
  swap    a member replaced by another base domain's

and runs `boot DIR --with qemu --timeout S` on it. boot must refuse the
domain (exit 1, one line on stderr, nothing on stdout) or run it: its
first line on stderr says which path ran, and the exit status is the
guest's verdict or 4 (no verdict, the timeout). Anything else is a
finding: another exit status (2, 3: QEMU refused what boot accepted),
a signal, boot running past the timeout by 30 s, or an untidy refusal.
Prints the counts and every finding with its seed and index (--index I
runs mutant I alone); exits 1 when there is a finding.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mutate import get, name_of, number, put, walk  # noqa: E402

PROG = "bootdoms.py"
PAGE = 4096
BITS = {"eflags", "cr0", "cr4", "efer", "cs_ar", "ds_ar", "es_ar", "ss_ar",
        "tr_ar", "type"}
ADDRS = (0xFC000000, 0xFEE00000, 0xFEFFF000, 1 << 32)


def mutate(rng, doc, others):
    """One edit of doc in place: its description."""
    paths = list(walk(doc))
    leaves = [p for p in paths if number(get(doc, p)) is not None]
    op = rng.choice(("limit", "limit", "bit", "array", "drop", "swap"))
    if op == "bit":
        cands = [p for p in leaves if isinstance(p[-1], str) and
                 p[-1] in BITS]
        path = rng.choice(cands)
        old = get(doc, path)
        v = number(old) ^ (1 << (rng.randrange(32) if rng.random() < 0.8
                                 else rng.randrange(64)))
        put(doc, path, "0x%x" % v if isinstance(old, str) else v)
    elif op == "array" and len(doc.get("memory_map", [])) > 1:
        mm = doc["memory_map"]
        path, i = ("memory_map",), rng.randrange(len(mm))
        how = rng.choice(("duplicated", "dropped", "moved"))
        if how == "duplicated":
            mm.insert(i, json.loads(json.dumps(mm[i])))
        elif how == "dropped":
            del mm[i]
        else:
            mm.insert(rng.choice([j for j in range(len(mm)) if j != i]),
                      mm.pop(i))
        return "array %s: entry %d %s" % (name_of(path), i, how)
    elif op == "drop":
        path = rng.choice(paths)
        parent = get(doc, path[:-1])
        del parent[path[-1]]
        return "drop %s" % name_of(path)
    elif op == "swap":
        other = rng.choice(others)
        cands = [p for p in paths if p[0] in other and
                 json.dumps(get(doc, p)) != json.dumps(
                     other.get(p[0]) if len(p) == 1 else None)]
        path = rng.choice(cands)
        try:
            value = get(other, path)
        except (KeyError, IndexError, TypeError):
            value = None
        if value is None:
            path = path[:1]
            value = other[path[0]]
        put(doc, path, json.loads(json.dumps(value)))
        return "swap %s" % name_of(path)
    else:
        path = rng.choice(leaves)
        old = get(doc, path)
        v = number(old)
        ram = doc.get("nr_pages", 0) * PAGE if isinstance(
            doc.get("nr_pages"), int) else 0
        cands = [0, 1, -1, (1 << 32) - 1, 1 << 32, (1 << 64) - 1, 1 << 64,
                 v - 1, v + 1, v - PAGE, v + PAGE, ram, ram - PAGE]
        cands += list(ADDRS)
        if path[-1] in ("store_pfn", "console_pfn", "frames", "nr_pages"):
            cands += [a // PAGE for a in ADDRS] + [ram // PAGE]
        new = rng.choice([c for c in cands if c != v])
        put(doc, path, "0x%x" % new if isinstance(old, str) and new >= 0
            else new)
        return "limit %s: %s -> %s" % (name_of(path), json.dumps(old),
                                        json.dumps(get(doc, path)))
    return "%s %s" % (op, name_of(path))


def build_bases(basedir, work, top):
    """{name: domain dir} of each PVH base, built once."""
    doms = {}
    for f in sorted(os.listdir(basedir)):
        if not (f.startswith("pvh-") and f.endswith(".json")):
            continue
        d = os.path.join(work, "base-" + f[:-5])
        if not os.path.isdir(d):
            subprocess.run([os.path.join(top, "bin", "finalize"), "--out",
                            d, os.path.join(basedir, f)], check=True,
                           stdout=subprocess.DEVNULL)
        doms[f[:-5]] = d
    if not doms:
        raise ValueError("%s: no PVH base plan (pvh-*.json)" % basedir)
    return doms


def load(d):
    with open(os.path.join(d, "domain.json")) as f:
        return json.load(f)


def make(seed, i, doms, work):
    """Mutant i's directory and (base, description)."""
    rng = random.Random("%s:%d" % (seed, i))
    name = rng.choice(sorted(doms))
    doc = load(doms[name])
    others = [load(doms[n]) for n in sorted(doms) if n != name]
    desc = mutate(rng, doc, others or [doc])
    d = os.path.join(work, "m%05d" % i)
    shutil.rmtree(d, ignore_errors=True)
    os.mkdir(d, 0o700)
    for f in os.listdir(doms[name]):
        if f != "domain.json":
            os.link(os.path.join(doms[name], f), os.path.join(d, f))
    with open(os.path.join(d, "domain.json"), "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    return d, name, desc


def judge(d, top, timeout):
    """(outcome, detail) of boot on d."""
    try:
        r = subprocess.run([os.path.join(top, "bin", "boot"), d, "--with",
                            "qemu", "--timeout", "%g" % timeout],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout + 30, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", "boot ran past --timeout by 30 s"
    err = r.stderr.decode(errors="replace").split("\n")
    ran = err[0].startswith("boot: path ")
    if r.returncode < 0:
        return "crash", "signal %d" % -r.returncode
    if r.returncode == 1 and not ran:
        if r.stdout or len(err) != 2 or not err[0]:
            return "untidy", "refused with stdout %dB, %d lines on stderr" \
                % (len(r.stdout), len(err) - 1)
        return "refused", err[0]
    if ran and r.returncode not in (2, 3):
        return "ran", "exit %d" % r.returncode
    return "exit", "exit %d: %s" % (r.returncode, " | ".join(err)[:300])


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--seed", default="pvbuild")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--index", type=int)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1)
    ap.add_argument("--top", default=os.path.join(here, "..", ".."))
    ap.add_argument("basedir")
    ap.add_argument("work")
    args = ap.parse_args()
    top = os.path.abspath(args.top)
    try:
        os.makedirs(args.work, exist_ok=True)
        doms = build_bases(args.basedir, args.work, top)
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    ids = [args.index] if args.index is not None else range(args.count)

    def one(i):
        d, base, desc = make(args.seed, i, doms, args.work)
        outcome, detail = judge(d, top, args.timeout)
        shutil.rmtree(d, ignore_errors=True)
        return i, base, desc, outcome, detail

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, ids))
    by = collections.Counter(r[3] for r in results)
    print("%d domains" % len(results))
    for o in ("refused", "ran", "untidy", "exit", "crash", "timeout"):
        print("  %-8s %5d" % (o, by.get(o, 0)))
    findings = [r for r in results if r[3] not in ("refused", "ran")]
    print("findings: %d" % len(findings))
    for i, base, desc, outcome, detail in findings:
        print("  [%s] seed %s index %d, %s: %s" % (outcome, args.seed, i,
                                                  base, desc))
        print("      -> %s" % detail)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
