#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Inputs and drivers for tests/robust.bats (fault injection, bombs, caps).

usage: robust.py COMMAND ARGS...

  gzip-bomb OUT MIB       OUT: one valid gzip member of MIB MiB of zeros
  xz-bomb OUT MIB         OUT: valid concatenated xz streams, MIB MiB of zeros
  bz2-bomb OUT MIB        OUT: valid concatenated bzip2 streams, likewise
  many-phdrs IN OUT KIND  OUT: IN (an ELF64 guest) with 65535 program headers
                          (e_phnum PN_XNUM, the count in section 0's sh_info,
                          as the gABI's extended numbering has it); the
                          headers after IN's own are KIND: null (PT_NULL),
                          note (copies of IN's PT_NOTE) or load (one-page
                          bss segments, one after another above the kernel)
  many-notes IN OUT N     OUT: IN (an ELF64 guest) whose PT_NOTE segment
                          holds IN's notes and then empty notes, N in all
  big-array IN OUT PATH N OUT: plan IN with the array at PATH (dotted,
                          e.g. layout.regions or pagetables.tables.0.maps)
                          holding its first element N times
  check-domain DIR REF    checks that sim domain DIR is whole: exactly the
                          five files, domain.json and plan.json parse,
                          machine.mem and m2p.bin have the sizes domain.json
                          gives, and all five hold the very bytes of the
                          uninterrupted build REF (machine.mem compared
                          where either file has data, so a sparse machine
                          of many GiB takes milliseconds)
  kill-loop PLAN PARENT ITERATIONS SECONDS SIGNALS [SEED]
                          builds PLAN with bin/finalize into PARENT/dom again
                          and again, sending each build one of SIGNALS
                          (comma-separated names: KILL,TERM) after a random
                          delay, until ITERATIONS builds or SECONDS have
                          passed; after each, PARENT/dom must be absent or
                          whole. Prints the counts, one "name value" a line.

The bombs are built by repetition so that making them takes about a second:
a deflate block of 1 MiB of zeros ended by a full flush (which resets the
compressor, so every such block compresses to the same bytes) repeated,
with the real CRC-32 and size; and one xz stream of 64 MiB of zeros
repeated, which xz(1) and pvbuild take as concatenated streams (bzip2
likewise).

Exits 1 with one line on stderr when a check fails, 2 on bad arguments.
"""

import bz2
import json
import lzma
import os
import random
import signal
import struct
import subprocess
import sys
import time
import zlib

PROG = "robust.py"
BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "bin")

MIB = 1 << 20
PN_XNUM = 0xFFFF
PT_NULL, PT_LOAD, PT_NOTE = 0, 1, 4
PF_R, PF_W = 4, 2

# ELF64 (System V gABI): header fields, a program header, a section header.
E_PHOFF, E_SHOFF, E_PHENTSIZE, E_PHNUM = 32, 40, 54, 56
PHDR64 = struct.Struct("<IIQQQQQQ")
SH_INFO = 44


def fail(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)
    sys.exit(1)


def gzip_bomb(out, mib):
    zero = bytes(MIB)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(zero) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zero, crc)
    with open(out, "wb") as f:
        # RFC 1952: magic, CM deflate, no flags, no mtime, XFL 2, OS 255.
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        f.write(block * mib)
        f.write(zlib.compressobj(9, zlib.DEFLATED, -15).flush())
        f.write(struct.pack("<II", crc, (mib * MIB) & 0xFFFFFFFF))


def xz_bomb(out, mib):
    if mib % 64 != 0:
        fail("xz-bomb: MIB must be a multiple of 64")
    stream = lzma.compress(bytes(64 * MIB), format=lzma.FORMAT_XZ, filters=[
        {"id": lzma.FILTER_LZMA2, "preset": 0, "mode": lzma.MODE_FAST,
         "nice_len": 273, "mf": lzma.MF_HC3}])
    with open(out, "wb") as f:
        f.write(stream * (mib // 64))


def bz2_bomb(out, mib):
    if mib % 64 != 0:
        fail("bz2-bomb: MIB must be a multiple of 64")
    with open(out, "wb") as f:
        f.write(bz2.compress(bytes(64 * MIB), 9) * (mib // 64))


def elf64(path):
    data = bytearray(open(path, "rb").read())
    if data[:5] != b"\x7fELF\x02" or struct.unpack_from("<H", data,
                                                        E_PHENTSIZE)[0] != 56:
        fail("%s: not an ELF64 image" % path)
    return data


def phdrs(data):
    phoff = struct.unpack_from("<Q", data, E_PHOFF)[0]
    phnum = struct.unpack_from("<H", data, E_PHNUM)[0]
    return [PHDR64.unpack_from(data, phoff + 56 * i) for i in range(phnum)]


def align(data, n):
    data += bytes(-len(data) % n)


def many_phdrs(src, out, kind):
    data = elf64(src)
    own = phdrs(data)
    note = [p for p in own if p[0] == PT_NOTE]
    if kind == "note" and not note:
        fail("%s: no PT_NOTE program header to copy" % src)
    top = max(p[3] + p[6] for p in own if p[0] == PT_LOAD)
    ptop = max(p[4] + p[6] for p in own if p[0] == PT_LOAD)
    top, ptop = (top + 0xFFFF) & ~0xFFFF, (ptop + 0xFFFF) & ~0xFFFF
    table = [PHDR64.pack(*p) for p in own]
    for i in range(PN_XNUM - len(own)):
        if kind == "null":
            table.append(PHDR64.pack(PT_NULL, 0, 0, 0, 0, 0, 0, 0))
        elif kind == "note":
            table.append(PHDR64.pack(*note[0]))
        elif kind == "load":
            table.append(PHDR64.pack(PT_LOAD, PF_R | PF_W, 0,
                                     top + 4096 * i, ptop + 4096 * i,
                                     0, 4096, 4096))
        else:
            fail("many-phdrs: KIND is null, note or load")
    align(data, 8)
    struct.pack_into("<Q", data, E_PHOFF, len(data))
    struct.pack_into("<H", data, E_PHNUM, PN_XNUM)
    shoff = struct.unpack_from("<Q", data, E_SHOFF)[0]
    if shoff == 0:
        fail("%s: no section header 0 to hold the count" % src)
    struct.pack_into("<I", data, shoff + SH_INFO, PN_XNUM)
    data += b"".join(table)
    open(out, "wb").write(data)


def many_notes(src, out, n):
    data = elf64(src)
    phoff = struct.unpack_from("<Q", data, E_PHOFF)[0]
    for i, p in enumerate(phdrs(data)):
        if p[0] == PT_NOTE:
            break
    else:
        fail("%s: no PT_NOTE program header" % src)
    good = bytes(data[p[2]:p[2] + p[5]])
    count, off = 0, 0
    while off + 12 <= len(good):
        namesz, descsz = struct.unpack_from("<II", good, off)
        off += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
        count += 1
    if n < count:
        fail("many-notes: %s already has %d notes" % (src, count))
    # An empty note owned by "T": namesz 2, descsz 0, type 0, name padded.
    extra = struct.pack("<III", 2, 0, 0) + b"T\0\0\0"
    align(data, 4)
    start = len(data)
    data += good + extra * (n - count)
    q = list(p)
    q[2], q[3], q[4], q[5], q[6] = start, 0, 0, len(data) - start, 0
    PHDR64.pack_into(data, phoff + 56 * i, *q)
    open(out, "wb").write(data)


def big_array(src, out, path, n):
    plan = json.load(open(src))
    parent, keys = plan, path.split(".")
    for k in keys[:-1]:
        parent = parent[int(k)] if isinstance(parent, list) else parent[k]
    elem = json.dumps(parent[keys[-1]][0], sort_keys=True)
    parent[keys[-1]] = "@ARRAY@"
    text = json.dumps(plan, sort_keys=True)
    with open(out, "w") as f:
        f.write(text.replace('"@ARRAY@"', "[" + ",".join([elem] * n) + "]"))


FILES = ["arrangement.txt", "domain.json", "m2p.bin", "machine.mem",
         "plan.json"]


def data_ranges(f):
    """The [start, end) ranges of file f that hold data (SEEK_DATA)."""
    size, pos, ranges = os.fstat(f.fileno()).st_size, 0, []
    while pos < size:
        try:
            start = os.lseek(f.fileno(), pos, os.SEEK_DATA)
        except OSError:
            break
        pos = os.lseek(f.fileno(), start, os.SEEK_HOLE)
        ranges.append((start, pos))
    return ranges


def same_sparse(a, b):
    """Whether files a and b (of one size) hold the same bytes."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        for start, end in data_ranges(fa) + data_ranges(fb):
            for off in range(start, end, MIB):
                n = min(MIB, end - off)
                fa.seek(off)
                fb.seek(off)
                if fa.read(n) != fb.read(n):
                    return False
    return True


def domain_problem(d, ref):
    """What is wrong with sim domain d, or None if it is whole."""
    have = sorted(os.listdir(d))
    if have != FILES:
        return "files %s, expected %s" % (have, FILES)
    try:
        dom = json.load(open(os.path.join(d, "domain.json")))
        plan = json.load(open(os.path.join(d, "plan.json")))
    except ValueError as e:
        return "a JSON file does not parse: %s" % e
    if "finalize" not in plan:
        return "plan.json has no finalize member"
    m = dom["machine"]
    size = os.path.getsize(os.path.join(d, "machine.mem"))
    if size != m["frames"] * m["page_size"]:
        return "machine.mem is %d bytes, domain.json says %d frames of %d" % (
            size, m["frames"], m["page_size"])
    size = os.path.getsize(os.path.join(d, "m2p.bin"))
    if size != m["frames"] * dom["m2p"]["entry_size"]:
        return "m2p.bin is %d bytes for %d frames" % (size, m["frames"])
    for name in ("domain.json", "plan.json", "m2p.bin", "arrangement.txt"):
        if open(os.path.join(d, name), "rb").read() != \
                open(os.path.join(ref, name), "rb").read():
            return "%s differs from the uninterrupted build's" % name
    if not same_sparse(os.path.join(d, "machine.mem"),
                       os.path.join(ref, "machine.mem")):
        return "machine.mem differs from the uninterrupted build's"
    return None


def temporaries(parent):
    return sorted(n for n in os.listdir(parent)
                  if n.startswith(".dom.pvbuild-"))


def remove_domain(d):
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)


def kill_loop(plan, parent, iterations, seconds, signals, seed):
    rng = random.Random(seed)
    sigs = [getattr(signal, "SIG" + s) for s in signals.split(",")]
    finalize = [os.path.join(BIN, "finalize"), "--backend", "sim", "--out",
                os.path.join(parent, "dom"), plan]
    out = os.path.join(parent, "dom")
    ref = os.path.join(parent, "ref")
    subprocess.run(finalize[:4] + [ref, plan], check=True,
                   stdout=subprocess.DEVNULL)
    # How long a whole build takes here, from start to exit.
    runs = []
    for _ in range(3):
        t = time.monotonic()
        subprocess.run(finalize, check=True, stdout=subprocess.DEVNULL)
        runs.append(time.monotonic() - t)
        remove_domain(out)
    whole = sorted(runs)[1]
    count = {"iterations": 0, "complete": 0, "finished": 0, "absent": 0,
             "left_temporaries": 0, "max_temporaries": 0, "removed_stale": 0}
    seen = set()
    deadline = time.monotonic() + seconds
    while count["iterations"] < iterations and time.monotonic() < deadline:
        before = set(temporaries(parent))
        proc = subprocess.Popen(finalize, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, 1.2 * whole))
        sig = rng.choice(sigs)
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        err = proc.stderr.read().decode(errors="replace").strip()
        rc = proc.wait()
        count["iterations"] += 1
        if rc == 0:
            count["finished"] += 1
        elif rc != -sig:
            fail("finalize pid %d exited %d: %s" % (proc.pid, rc, err))
        if os.path.exists(out):
            problem = domain_problem(out, ref)
            if problem is not None:
                fail("after signal %d at iteration %d, %s is partial: %s" % (
                    sig, count["iterations"], out, problem))
            if rc != 0:
                count["complete"] += 1
            remove_domain(out)
        else:
            if rc == 0:
                fail("finalize exited 0 and left no %s" % out)
            count["absent"] += 1
        after = set(temporaries(parent))
        # A temporary may be left only by a build that was stopped, and
        # a pid in its name (".dom.pvbuild-PID-XXXXXX") is that build's.
        for name in after - before:
            pid = name[len(".dom.pvbuild-"):].split("-")[0]
            if rc == 0 or (pid.isdigit() and int(pid) != proc.pid):
                fail("temporary %s left by pid %d (exit %d)" % (
                    name, proc.pid, rc))
        count["removed_stale"] += len(before - after)
        count["left_temporaries"] += len(after - before)
        seen |= after
        count["max_temporaries"] = max(count["max_temporaries"], len(after))
    count["seconds_per_build"] = "%.3f" % whole
    count["remaining_temporaries"] = len(temporaries(parent))
    for k in sorted(count):
        print(k, count[k])


def nspid_owner(inner):
    """The pid here of the process that is pid `inner` in its own pid
    namespace (the last NSpid field of /proc/PID/status), or None."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        ids = line.split()[1:]
                        if len(ids) > 1 and ids[-1] == str(inner):
                            return int(name)
                        break
        except OSError:
            continue
    return None


def stop_mid_build(sig, parent, name, inner, cmd, tries=20):
    """Run cmd (a build of parent/name) and send sig to the build the
    moment its temporary (.NAME.pvbuild-*) in parent holds machine.mem,
    the first file a build makes there (the directory alone is a moment
    older, and a build stopped then has written nothing), watching in a
    tight loop, so that the window of a fast build is not missed on a
    busy machine. The build is cmd's own process, or with `inner` not
    "-" the process that is pid `inner` in its namespace (cmd starts it
    there). Prints the temporary's path and the pid signalled; a build
    that ends before, each of `tries` times, is a failure."""
    signum = getattr(signal, "SIG" + sig)
    prefix = "." + name + ".pvbuild-"
    for _ in range(tries):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        target = proc.pid if inner == "-" else None
        hit = None
        while proc.poll() is None:
            if target is None:
                target = nspid_owner(inner)
                continue
            found = [n for n in os.listdir(parent) if n.startswith(prefix)
                     and os.path.exists(os.path.join(parent, n,
                                                     "machine.mem"))]
            if found:
                try:
                    os.kill(target, signum)
                except ProcessLookupError:
                    break
                hit = os.path.join(parent, found[0])
                break
        if hit is not None and os.path.isdir(hit):
            if signum != signal.SIGSTOP:
                proc.wait()
            print(hit, target)
            return
        if proc.poll() is None and signum == signal.SIGSTOP and target:
            os.kill(target, signal.SIGCONT)
        proc.wait()
        out = os.path.join(parent, name)
        if os.path.isdir(out):
            remove_domain(out)
    fail("the build ended before it could be stopped, %d times" % tries)


def main(argv):
    usage = "usage: %s COMMAND ARGS... (see the source)" % PROG
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "gzip-bomb" and len(args) == 2:
            gzip_bomb(args[0], int(args[1]))
        elif cmd == "xz-bomb" and len(args) == 2:
            xz_bomb(args[0], int(args[1]))
        elif cmd == "bz2-bomb" and len(args) == 2:
            bz2_bomb(args[0], int(args[1]))
        elif cmd == "many-phdrs" and len(args) == 3:
            many_phdrs(*args)
        elif cmd == "many-notes" and len(args) == 3:
            many_notes(args[0], args[1], int(args[2]))
        elif cmd == "big-array" and len(args) == 4:
            big_array(args[0], args[1], args[2], int(args[3]))
        elif cmd == "check-domain" and len(args) == 2:
            problem = domain_problem(*args)
            if problem is not None:
                fail("%s: %s" % (args[0], problem))
        elif cmd == "stop-mid-build" and len(args) >= 6 and args[4] == "--":
            stop_mid_build(args[0], args[1], args[2], args[3], args[5:])
        elif cmd == "kill-loop" and len(args) in (5, 6):
            kill_loop(args[0], args[1], int(args[2]), float(args[3]),
                      args[4], int(args[5]) if len(args) == 6 else 1)
        else:
            print(usage, file=sys.stderr)
            return 2
    except (OSError, ValueError, KeyError, IndexError) as e:
        fail("%s: %s" % (cmd, e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
