#!/usr/bin/python3
"""Validate generated person documents against the Folkeregisterperson schema of the
offentlig-med-hjemmel OpenAPI 1.5 contract.

    PORTEN_GEN_DUMP=/tmp/persons.jsonl build/unit_freg_test_gen   # 2000 persons
    tests/unit/freg/check_schema.py /tmp/persons.jsonl [openapi.yaml]
    tests/unit/freg/check_schema.py --schema NAME FILE.jsonl [openapi.yaml]

--schema names a component schema (default the Folkeregisterperson), or "array:NAME" for
a JSON array of them, or "integer". FILE holds one JSON value per line.

The contract defaults to ../shared/spec/freg-contracts/openapi-offentlig-med-hjemmel-1.5.yaml
next to the source tree. Validates the subset of JSON Schema the contract uses: $ref, type,
required, enum, properties, items, format date/date-time. Members the schema does not
name are allowed (it has no additionalProperties: false) and are reported as notes.
Exit status 0 when every document conforms, 1 otherwise, 2 when the contract is absent."""
import collections
import json
import os
import re
import sys

import yaml

PERSON = "folkeregisteret.tilgjengeliggjoering.person.v1.Folkeregisterperson"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def main():
    src = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(src, "../../../../shared/spec/freg-contracts/"
                                "openapi-offentlig-med-hjemmel-1.5.yaml")
    args = sys.argv[1:]
    root = PERSON
    if len(args) >= 2 and args[0] == "--schema":
        root = args[1]
        args = args[2:]
    if len(args) < 1:
        print(__doc__)
        return 2
    contract = args[1] if len(args) > 1 else default
    if not os.path.exists(contract):
        print("contract not found: %s (skipped)" % contract)
        return 2
    with open(contract, encoding="utf-8") as f:
        schemas = yaml.safe_load(f)["components"]["schemas"]

    errors = []
    extra = collections.Counter()

    def resolve(s):
        while "$ref" in s:
            s = schemas[s["$ref"].rsplit("/", 1)[1]]
        return s

    def check(v, s, path):
        s = resolve(s)
        t = s.get("type")
        if v is None:
            errors.append("%s: null" % path)
            return
        if t == "object" or "properties" in s:
            if not isinstance(v, dict):
                errors.append("%s: not an object" % path)
                return
            for r in s.get("required", []):
                if r not in v:
                    errors.append("%s: missing %s" % (path, r))
            props = s.get("properties", {})
            for k, x in v.items():
                if k in props:
                    check(x, props[k], path + "." + k)
                else:
                    extra[re.sub(r"^person\d+", "person", re.sub(r"\[\d+\]", "[]", path)) + "." + k] += 1
        elif t == "array":
            if not isinstance(v, list):
                errors.append("%s: not an array" % path)
                return
            for i, x in enumerate(v):
                check(x, s.get("items", {}), "%s[%d]" % (path, i))
        elif t == "string":
            if not isinstance(v, str):
                errors.append("%s: not a string" % path)
                return
            if "enum" in s and v not in s["enum"]:
                errors.append("%s: %r not in enum" % (path, v))
            fmt = s.get("format")
            if fmt == "date" and not DATE.match(v):
                errors.append("%s: %r not a date" % (path, v))
            if fmt == "date-time" and not DATETIME.match(v):
                errors.append("%s: %r not a date-time" % (path, v))
        elif t == "integer":
            if not isinstance(v, int) or isinstance(v, bool):
                errors.append("%s: not an integer" % path)
        elif t == "boolean":
            if not isinstance(v, bool):
                errors.append("%s: not a boolean" % path)
        elif t == "number":
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                errors.append("%s: not a number" % path)

    if root == "integer":
        top = {"type": "integer"}
    elif root.startswith("array:"):
        if root[6:] not in schemas:
            print("no schema %s in the contract" % root[6:])
            return 1
        top = {"type": "array", "items": schemas[root[6:]]}
    elif root in schemas:
        top = schemas[root]
    else:
        print("no schema %s in the contract" % root)
        return 1
    n = 0
    with open(args[0], encoding="utf-8") as f:
        for line in f:
            if line.strip():
                check(json.loads(line), top, "person%d" % n if root == PERSON else "doc%d" % n)
                n += 1
    for e in errors[:50]:
        print("error:", e)
    for k, c in sorted(extra.items()):
        print("note: member not in the 1.5 schema: %s (%d)" % (k, c))
    print("%d documents, %d errors" % (n, len(errors)))
    return 1 if errors or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
