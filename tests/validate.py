#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""validate.py SCHEMA JSONFILE...: check JSON documents against a schema.

The schema's $refs to sibling files (defs.json, elfinfo.json, ...) are
resolved from the schema's own directory, never over the network. The schema
itself is checked against its metaschema first.

Prints one line per error, `PATH: MESSAGE`, where PATH is the member in
JSON-path form (`$.layout.regions[1].name`); with more than one JSONFILE each
line starts with `JSONFILE: `.

Exit status: 0 every document is valid, 1 some document is invalid (or is not
JSON, or the schema is broken), 2 usage.

Written for Debian 12's python3-jsonschema (4.10): RefResolver with a store.
"""
import json
import os
import re
import sys
import warnings

PROG = "validate.py"
USAGE = "usage: %s SCHEMA JSONFILE..." % PROG

warnings.simplefilter("ignore", DeprecationWarning)

try:
    import jsonschema
    from jsonschema import exceptions, validators
except ImportError:
    sys.stderr.write("%s: the python3 jsonschema module is missing "
                     "(Debian: python3-jsonschema)\n" % PROG)
    sys.exit(1)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def file_uri(path):
    return "file://" + os.path.abspath(path)


class BrokenSchema(Exception):
    """A schema file that is not a valid schema of its draft."""

    def __init__(self, path, error):
        super().__init__(path)
        self.path, self.error = path, error


def check_schema(cls, doc, path):
    try:
        cls.check_schema(doc)
    except exceptions.SchemaError as e:
        raise BrokenSchema(path, e) from None


def no_network(uri):
    raise exceptions.RefResolutionError("%s: not fetched: a $ref outside "
                                        "the schemas directory" % uri)


def build_validator(schema_path):
    """The validator of schema_path, with its directory's schemas in store.

    Every schema of the directory is checked against its metaschema, so a
    broken one shows even when only a $ref reaches it."""
    schema_path = os.path.abspath(schema_path)
    schema = load_json(schema_path)
    cls = validators.validator_for(schema,
                                   default=validators.Draft202012Validator)
    check_schema(cls, schema, schema_path)
    store = {file_uri(schema_path): schema}
    sdir = os.path.dirname(schema_path)
    for name in sorted(os.listdir(sdir)):
        other = os.path.join(sdir, name)
        if name.endswith(".json") and other != schema_path:
            doc = load_json(other)
            check_schema(validators.validator_for(doc, default=cls), doc,
                         other)
            store[file_uri(other)] = doc
    resolver = jsonschema.RefResolver(base_uri=file_uri(schema_path),
                                      referrer=schema, store=store,
                                      handlers={"http": no_network,
                                                "https": no_network})
    return cls(schema, resolver=resolver)


def json_path(parts):
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p)
    return out


def expand(error):
    """An anyOf/oneOf error as the errors of its one plausible branch.

    A branch is plausible unless the instance has the wrong type for it
    (layout.initrd is null or an object: an object is judged as an object).
    With no single plausible branch the error stays as it is."""
    if not error.context:
        return [error]
    branches = {}
    for c in error.context:
        branches.setdefault(c.relative_schema_path[0], []).append(c)
    plausible = [errs for errs in branches.values()
                 if not any(c.validator == "type" and not c.relative_path
                            for c in errs)]
    if len(plausible) != 1:
        return [error]
    return [x for c in plausible[0] for x in expand(c)]


def describe(error):
    """(path, message) lines for one validation error."""
    path = list(error.absolute_path)
    v, inst, sch = error.validator, error.instance, error.schema
    if v == "additionalProperties" and isinstance(inst, dict):
        known = set(sch.get("properties", {}))
        pats = list(sch.get("patternProperties", {}))
        extra = [k for k in inst if k not in known and
                 not any(re.search(p, k) for p in pats)]
        if extra:
            return [(json_path(path + [k]), "unknown member")
                    for k in sorted(extra)]
    if v == "required" and isinstance(inst, dict):
        missing = [k for k in error.validator_value if k not in inst]
        if missing:
            return [(json_path(path + [k]), "missing (required)")
                    for k in missing]
    return [(json_path(path), error.message)]


def main(argv):
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(USAGE)
        return 0
    if len(argv) < 3:
        sys.stderr.write(USAGE + "\n")
        return 2
    schema_path, files = argv[1], argv[2:]
    try:
        validator = build_validator(schema_path)
    except (OSError, ValueError) as e:
        print("%s: %s" % (schema_path, e))
        return 1
    except BrokenSchema as b:
        print("%s: schema error at %s: %s" % (b.path,
              json_path(b.error.absolute_path), b.error.message))
        return 1
    bad = False
    for f in files:
        prefix = f + ": " if len(files) > 1 else ""
        try:
            doc = load_json(f)
        except (OSError, ValueError) as e:
            print("%s: %s" % (f, e))
            bad = True
            continue
        try:
            errors = sorted(validator.iter_errors(doc),
                            key=lambda e: [str(p) for p in e.absolute_path])
            # "required" gives one error per missing member, each naming
            # them all: keep each line once, in order.
            lines = list(dict.fromkeys(ln for e in errors for x in expand(e)
                                       for ln in describe(x)))
        except exceptions.RefResolutionError as e:
            print("%s%s: %s" % (prefix, schema_path, e))
            bad = True
            continue
        for path, msg in lines:
            print("%s%s: %s" % (prefix, path, msg))
        bad = bad or bool(lines)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
