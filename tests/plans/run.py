#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Feed plan mutants to finalize and judge each by an oracle that shares no
code with the builder.

usage: run.py [--jobs N] [--timeout S] [--finalize PROG] [--explained FILE]
              [--check] [--out DIR] [--readers[=first]] [--top DIR]
              CORPUS

CORPUS is what mutate.py wrote (CORPUS/manifest.jsonl names the plans).
Each plan goes to `finalize --backend sim --out DIR PLAN` in a directory of
its own, and is judged:

  refused   finalize exits 1 with exactly one line on stderr, nothing on
            stdout, and neither DIR nor a temporary (.DIR.pvbuild-*) left
  built     finalize exits 0, leaves DIR alone, and tests/checker/checkdom.py
            passes on it, told the kernel, initrd, memory and command line
            the plan itself asks for (the checker recomputes the rest)

Anything else is a finding, of one of these outcomes:

  checker   exit 0, but the checker fails (its FAIL lines are kept)
  untidy    exit 0 or 1, but stdout, stderr or the directory is wrong
  exit      another exit status (2, 3, ...)
  crash     killed by a signal
  timeout   finalize ran past --timeout seconds
  request   exit 0, but the plan's request is no kernel, size and command
            line the checker can be told

With --readers, the plan's other readers get each mutant too, after
finalize: layout, populate and pagetables the members before their own
(as the pipe hands them; layout with the request the plan's layout
holds: --memory, --cmdline, --vcpus, --maxmem, --initrd), show the whole
plan. Each must print a plan (or show's arrangement) and exit 0, or
refuse it tidily as finalize must; a reader that does anything else
turns the mutant's outcome into that finding (untidy, exit, crash or
timeout), its detail naming the reader.
--readers=first runs only the reader that is handed each edited member
first (layout an edited elfinfo, populate a layout, pagetables a
populate, show a pagetables): every stage reads the members before its
own with the same plan reader, so this is most of the search at a
quarter of its cost.

A finding is explained when tests/plans/explained.txt has a line
"OUTCOME PATTERN reason" whose PATTERN (fnmatch) matches the mutation's
class; a mutant of two edits must have both classes matched. Prints the
counts by outcome and class, then every unexplained finding with its
mutation, seed and index (mutate.py --seed S --index I remakes it). With
--check the exit status is 1 when a finding is unexplained. --out DIR keeps
results.jsonl and, for findings, the plan and finalize's output in
DIR/cases/.
"""

import argparse
import collections
import concurrent.futures
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile

PROG = "run.py"
OUTCOMES = ("checker", "untidy", "exit", "crash", "timeout", "request")


def request(plan):
    """The checker's arguments for what the plan asks for, or None."""
    try:
        ei, lay = plan["elfinfo"], plan["layout"]
        args = ["--kernel", ei["image"]["path"], "--memory",
                str(lay["memory"]), "--cmdline", lay["cmdline"]]
        if lay["initrd"] is not None:
            args += ["--initrd", lay["initrd"]["path"]]
        # The request beyond memory, as the checker takes it.
        args += ["--vcpus", str(lay["vcpus"]), "--maxmem", str(lay["maxmem"])]
        if lay["name"] is not None:
            args += ["--name", lay["name"]]
        for d in lay["disks"]:
            args += ["--disk", "%s,raw,%s,%s" % (d["target"], d["vdev"],
                                                 d["access"])]
        for n in lay["nics"]:
            args += ["--nic", "bridge=%s,mac=%s" % (n["bridge"], n["mac"])]
    except (KeyError, TypeError):
        return None
    if not all(isinstance(a, str) and a and "\0" not in a for a in args[:4]):
        return None
    return args


def tidy_refusal(r, left):
    """What is wrong with a refusal, or None."""
    wrong = []
    if r.stdout:
        wrong.append("stdout not empty")
    lines = r.stderr.decode(errors="replace").split("\n")
    if len(lines) != 2 or not lines[0] or lines[1]:
        wrong.append("%d lines on stderr" % (len(lines) - 1))
    if left:
        wrong.append("left %s" % " ".join(left))
    return "; ".join(wrong) or None


def check(plan_path, dom, checker, timeout):
    """(outcome or None, detail) of the checker on a built domain."""
    with open(plan_path) as f:
        args = request(json.load(f))
    if args is None:
        return "request", "the plan names no usable kernel, size or cmdline"
    try:
        r = subprocess.run([sys.executable, checker, dom] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", "the checker ran past %gs" % timeout
    out = r.stdout.decode(errors="replace")
    if r.returncode == 0:
        return None, "checker ok"
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    if r.returncode == 1 and fails:
        return "checker", " | ".join(fails[:3])
    return "request", "checker exit %d: %s" % (
        r.returncode, r.stderr.decode(errors="replace").strip()[:200])


def judge(entry, corpus, work, finalize, checker, timeout, top=None,
          which="all"):
    res = dict(entry)
    plan = os.path.join(corpus, entry["file"])
    tmp = tempfile.mkdtemp(prefix="m%s-" % entry["id"], dir=work)
    dom = os.path.join(tmp, "dom")
    try:
        try:
            r = subprocess.run([finalize, "--backend", "sim", "--out", dom,
                                plan], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout,
                               check=False)
        except subprocess.TimeoutExpired:
            res.update(outcome="timeout", detail="finalize ran past %gs" %
                       timeout, stderr="")
            return res
        res["stderr"] = r.stderr.decode(errors="replace")
        res["status"] = r.returncode
        left = sorted(os.listdir(tmp))
        if r.returncode == 1:
            wrong = tidy_refusal(r, left)
            res.update(outcome="untidy" if wrong else "refused",
                       detail=wrong or res["stderr"].strip())
        elif r.returncode == 0:
            if left != ["dom"] or not r.stdout or r.stderr:
                res.update(outcome="untidy", detail="exit 0 with %s, "
                           "stdout %dB, stderr %dB" % (left, len(r.stdout),
                                                       len(r.stderr)))
            else:
                outcome, detail = check(plan, dom, checker, timeout)
                res.update(outcome=outcome or "built", detail=detail)
        elif r.returncode < 0:
            res.update(outcome="crash", detail="signal %d" % -r.returncode)
        else:
            res.update(outcome="exit", detail="exit %d: %s" % (
                r.returncode, res["stderr"].strip()[:200]))
        if top is not None and res["outcome"] in ("refused", "built"):
            found = readers(res, plan, top, tmp, timeout, which)
            if found:
                res.update(outcome=found[0], detail=found[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def layout_request(doc):
    """layout's options for the request in doc's layout, or None."""
    try:
        lay = doc["layout"]
        args = ["--memory", str(int(lay["memory"])), "--cmdline",
                lay["cmdline"], "--vcpus", str(int(lay["vcpus"])),
                "--maxmem", str(int(lay["maxmem"]))]
        if lay["initrd"] is not None:
            args += ["--initrd", lay["initrd"]["path"]]
    except (KeyError, TypeError, ValueError):
        return None
    if not all(isinstance(a, str) and "\0" not in a for a in args):
        return None
    return args


# The readers --readers adds: (program, the members it is given, the
# member it is handed first).
READERS = (("layout", ("elfinfo",), "elfinfo"),
           ("populate", ("elfinfo", "layout"), "layout"),
           ("pagetables", ("elfinfo", "layout", "populate"), "populate"),
           ("show", None, "pagetables"))


def edited(res):
    """The members the mutant's edits are in: populate.writes[] from the
    class "limit:populate.writes[].pfn"."""
    return {c.split(":", 1)[-1].split(".")[0].split("[")[0]
            for c in res["class"].split("+")}


def readers(res, plan, top, tmp, timeout, which):
    """Feed the plan (or its members before a stage) to each of READERS
    (which "all"), or to those handed an edited member first ("first");
    the first misbehaviour, as (outcome, detail), or None."""
    with open(plan) as f:
        doc = json.load(f)
    first = edited(res)
    for prog, members, handed in READERS:
        if which == "first" and handed not in first:
            continue
        path, args = plan, []
        if prog == "layout":
            args = layout_request(doc)
            if args is None:
                continue
        if members is not None:
            if not isinstance(doc, dict):
                continue
            part = {k: v for k, v in doc.items()
                    if k not in ("elfinfo", "layout", "populate",
                                 "pagetables") or k in members}
            path = os.path.join(tmp, prog + ".json")
            with open(path, "w") as f:
                json.dump(part, f)
        try:
            r = subprocess.run([os.path.join(top, "bin", prog)] + args +
                               [path],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout,
                               check=False)
        except subprocess.TimeoutExpired:
            return "timeout", "%s ran past %gs" % (prog, timeout)
        err = r.stderr.decode(errors="replace")
        if r.returncode < 0:
            return "crash", "%s: signal %d" % (prog, -r.returncode)
        if r.returncode == 0:
            if not r.stdout or r.stderr:
                return "untidy", "%s: exit 0 with stdout %dB, stderr " \
                    "%dB" % (prog, len(r.stdout), len(r.stderr))
        elif r.returncode == 1:
            wrong = tidy_refusal(r, [])
            if wrong:
                return "untidy", "%s: %s: %s" % (prog, wrong, err[:200])
        else:
            return "exit", "%s: exit %d: %s" % (prog, r.returncode,
                                                err.strip()[:200])
    return None


def load_explained(path):
    """[(outcome, pattern, reason)] from lines "OUTCOME PATTERN reason"."""
    known = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in OUTCOMES:
                raise ValueError("%s:%d: not OUTCOME PATTERN reason" %
                                 (path, n))
            known.append(tuple(parts))
    return known


def explained(res, known):
    return all(any(o == res["outcome"] and fnmatch.fnmatchcase(c, pat)
                   for o, pat, _ in known)
               for c in res["class"].split("+"))


def keep_case(out, res, corpus):
    d = os.path.join(out, "cases", res["outcome"])
    os.makedirs(d, exist_ok=True)
    shutil.copyfile(os.path.join(corpus, res["file"]),
                    os.path.join(d, res["file"]))
    with open(os.path.join(d, res["file"] + ".result"), "w") as f:
        json.dump(res, f, indent=2, sort_keys=True)


def report(results, known):
    """Print the counts and the unexplained findings; return those."""
    by = collections.Counter(r["outcome"] for r in results)
    print("%d plans" % len(results))
    for o in ("refused", "built") + OUTCOMES:
        print("  %-8s %5d" % (o, by.get(o, 0)))
        classes = collections.Counter(r["class"] for r in results
                                      if r["outcome"] == o)
        for c, n in sorted(classes.items(), key=lambda x: (-x[1], x[0])):
            if o not in ("refused", "built"):
                print("      %5d  %s" % (n, c))
    findings = [r for r in results if r["outcome"] in OUTCOMES]
    unexplained = [r for r in findings if not explained(r, known)]
    print("explained findings: %d" % (len(findings) - len(unexplained)))
    print("unexplained findings: %d" % len(unexplained))
    for r in unexplained:
        print("  [%s] seed %s index %s, %s: %s" % (
            r["outcome"], r["seed"], r["id"], r["base"], r["mutation"]))
        print("      -> %s" % r["detail"][:300])
    return unexplained


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--finalize")
    ap.add_argument("--explained")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--readers", nargs="?", const="all",
                    choices=("all", "first"))
    ap.add_argument("--top", default=os.path.join(here, "..", ".."))
    ap.add_argument("corpus")
    args = ap.parse_args()
    top = os.path.abspath(args.top)
    finalize = args.finalize or os.path.join(top, "bin", "finalize")
    checker = os.path.join(top, "tests", "checker", "checkdom.py")
    try:
        known = load_explained(args.explained) if args.explained else []
        with open(os.path.join(args.corpus, "manifest.jsonl")) as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="plans-")
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(
                lambda e: judge(e, args.corpus, work, finalize, checker,
                                args.timeout,
                                top if args.readers else None,
                                args.readers), entries))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    unexplained = report(results, known)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "results.jsonl"), "w") as f:
            for r in results:
                f.write(json.dumps(r, sort_keys=True) + "\n")
        for r in results:
            if r["outcome"] in OUTCOMES:
                keep_case(args.out, r, args.corpus)
    return 1 if args.check and unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
