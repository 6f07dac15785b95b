#!/usr/bin/env python3
"""Generates contracts/Person_v1.xsd, the XML Schema served at GET .../v1/personer/xsd,
from Skatteetaten's OpenAPI 1.5 contract (openapi-offentlig-med-hjemmel-1.5.yaml).

    python3 tools/openapi_person_xsd.py PATH/openapi-offentlig-med-hjemmel-1.5.yaml [OUT]

OUT defaults to contracts/Person_v1.xsd next to this script's repository. The output is
deterministic (sorted, no timestamps or paths) and checked in; the build never reads the
yaml. See docs/freg-xsd.md for the rules.

The schema accepts the XML porten writes for a JSON document: one element per member, in
any order (the JSON member order is not the schema's property order), an array as the
member element repeated once per item, no wrapper. Each complex type is therefore an
<xsd:choice minOccurs="0" maxOccurs="unbounded"> of its members: XSD 1.0 cannot say "each
at most once, in any order" for repeatable members, so cardinality and required members
are not enforced; names, nesting and value types are.
"""
import copy
import hashlib
import os
import sys
from xml.sax.saxutils import escape, quoteattr

import yaml

NS = "folkeregisteret:tilgjengeliggjoering:person:v1"
P = "folkeregisteret.tilgjengeliggjoering."
REF = "#/components/schemas/"

# Root element -> schema (its complex type).
ROOTS = {
    "folkeregisterperson": P + "person.v1.Folkeregisterperson",
    "personBulkoppslagResponse": P + "person.v1.bulk.response.PersonBulkoppslagResponse",
    "personsoekResponse": P + "person.v1.soek.response.PersonsoekResponse",
    "uttrekkJobbResponse": P + "uttrekk.v1.response.UttrekkJobbResponse",
    "uttrekkDataResponse": P + "uttrekk.v1.response.UttrekkDataResponse",
    "feilmelding": "porten.error.Feilmelding",
}

# Code lists that Skatteetaten extends over time (spec/folkeregisteret.md 3.8, 13): always
# xsd:string, even where an OpenAPI version declares an enum.
OPEN_CODE_LISTS = {"aarsak", "embete", "identifikasjonsdokumenttype", "kilde",
                   "vergeTjenesteoppgave", "vergeTjenestevirksomhet"}


def ref(name):
    return {"$ref": REF + name}


STR = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
KJOENN = {"title": "Kjoenn", "type": "string", "enum": ["kvinne", "mann"]}
METADATA = {  # register metadata on every person element (spec 3.8)
    "aarsak": STR, "ajourholdstidspunkt": DATETIME, "erGjeldende": {"type": "boolean"},
    "gyldighetstidspunkt": DATETIME, "kilde": STR, "opphoerstidspunkt": DATETIME,
}

# What porten serves beyond OAS15: (schema, property, definition, source). Added only when
# the schema lacks the property; new schemas are created when missing.
ADDITIONS = [
    # Our error body (spec 6.1): {"kode": "FREG-001", "melding": "..."}.
    ("porten.error.Feilmelding", "kode", STR, "spec 6.1 (porten error body)"),
    ("porten.error.Feilmelding", "melding", STR, "spec 6.1 (porten error body)"),
    # bulkoppslag/arkiv answers carry the document id per item.
    (P + "person.v1.bulk.response.Oppslag", "dokumentidentifikator", STR,
     "bulkoppslag/arkiv (spec 3.4)"),
    # Since 2023-11-01 (spec 3.8, 10.15).
    (P + "person.v1.Folkeregisterperson", "rettsligHandleevne",
     {"type": "array", "items": ref(P + "person.v1.RettsligHandleevne")}, "spec 3.8, 10.15"),
    (P + "person.v1.Folkeregisterperson", "fratattRettsligHandleevne",
     {"type": "array", "items": ref(P + "person.v1.FratattRettsligHandleevne")},
     "spec 3.8, 10.15"),
    *[(P + "person.v1.RettsligHandleevne", k, v, "spec 3.8") for k, v in METADATA.items()],
    (P + "person.v1.RettsligHandleevne", "rettsligHandleevneomfang", STR, "spec 3.8"),
    *[(P + "person.v1.FratattRettsligHandleevne", k, v, "spec 3.8")
      for k, v in METADATA.items()],
    (P + "person.v1.VergeRepresentantEllerFullmektig", "navnFoedselsdato",
     ref(P + "person.v1.NavnFoedselsdato"), "spec 3.8, 10.15"),
    (P + "person.v1.VergeRepresentantEllerFullmektig", "tjenesteomraade",
     {"type": "array", "items": ref(P + "person.v1.Tjenesteomraade")}, "spec 3.8, 10.15"),
    (P + "person.v1.NavnFoedselsdato", "personnavn", ref(P + "person.v1.Personnavn"),
     "spec 3.8"),
    (P + "person.v1.NavnFoedselsdato", "foedselsdato", DATE, "spec 3.8"),
    (P + "person.v1.NavnFoedselsdato", "kjoenn", KJOENN, "spec 3.8"),
    (P + "person.v1.NavnFoedselsdato", "statsborgerskap", {"type": "array", "items": STR},
     "spec 3.8"),
    (P + "person.v1.Tjenesteomraade", "vergeTjenestevirksomhet", STR, "spec 3.8"),
    (P + "person.v1.Tjenesteomraade", "vergeTjenesteoppgave", STR, "spec 3.8"),
]
# Enum values added after OAS15: (schema, property, value, source).
ENUM_ADDITIONS = [
    (P + "person.v1.Identitetsgrunnlag", "identitetsgrunnlagstatus", "unik",
     "spec 3.8 (from 2027-02-01)"),
]

ENUM_SOURCES = {v: src for _, _, v, src in ENUM_ADDITIONS}


def fail(msg):
    sys.exit("openapi_person_xsd: " + msg)


def extend(schemas, log):
    """Applies ADDITIONS and ENUM_ADDITIONS to a copy of schemas; returns it."""
    schemas = copy.deepcopy(schemas)
    for name, prop, definition, source in ADDITIONS:
        s = schemas.setdefault(name, {"type": "object", "properties": {},
                                      "x-porten-added": source})
        props = s.setdefault("properties", {})
        if prop in props:
            log.append("already in OpenAPI, not added: %s.%s" % (name, prop))
            continue
        props[prop] = copy.deepcopy(definition)
        props[prop]["x-porten-added"] = source
    for name, prop, value, source in ENUM_ADDITIONS:
        d = schemas[name]["properties"][prop]
        d = d.get("items", d)
        if value in d.get("enum", []):
            log.append("already in OpenAPI, not added: %s.%s=%s" % (name, prop, value))
            continue
        d["enum"] = d["enum"] + [value]
        d["x-porten-added-values"] = d.get("x-porten-added-values", []) + [value]
    return schemas


def deref(d):
    r = d.get("$ref")
    if r is None:
        return None
    if not r.startswith(REF):
        fail("unsupported $ref " + r)
    return r[len(REF):]


def reachable(schemas):
    seen, todo = set(), sorted(set(ROOTS.values()))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            fail("missing schema " + name)
        seen.add(name)
        for d in schemas[name].get("properties", {}).values():
            d = d.get("items", d) if d.get("type") == "array" else d
            t = deref(d)
            if t:
                todo.append(t)
    return sorted(seen)


def upper1(s):
    return s[:1].upper() + s[1:]


def type_names(names):
    """Schema name -> complex type name: the last dotted segment; names that collide get
    more leading segments (capitalised) until unique."""
    depth = {n: 1 for n in names}
    while True:
        short = {n: "".join(upper1(x) for x in n.split(".")[-depth[n]:]) for n in names}
        clash = {}
        for n in names:
            clash.setdefault(short[n], []).append(n)
        again = [n for v in clash.values() if len(v) > 1 for n in v]
        if not again:
            return short
        for n in again:
            if depth[n] >= len(n.split(".")):
                fail("cannot disambiguate " + n)
            depth[n] += 1


def simple(d, prop):
    """A scalar property -> ("xsd:…", None) or (None, (enum name, values))."""
    t, f = d.get("type"), d.get("format")
    if t == "string":
        if "enum" in d and prop not in OPEN_CODE_LISTS:
            return None, (d.get("title") or upper1(prop), tuple(d["enum"]))
        return {"date": "xsd:date", "date-time": "xsd:dateTime"}.get(f, "xsd:string"), None
    if t == "boolean":
        return "xsd:boolean", None
    if t == "integer":
        return {"int32": "xsd:int", "int64": "xsd:long"}.get(f, "xsd:integer"), None
    if t == "number":
        return {"float": "xsd:float", "double": "xsd:double"}.get(f, "xsd:decimal"), None
    fail("unsupported property type %r" % (d,))


def build(schemas, source_id):
    names = reachable(schemas)
    ctypes = type_names(names)
    enums = {}           # enum type name -> values
    members = {}         # complex type name -> [(element, type, note)]
    opened = set()
    enum_added = {}      # (enum type name, value) -> where OAS15 lacks it
    for n in names:
        rows = []
        for prop, d in sorted(schemas[n].get("properties", {}).items()):
            item = d["items"] if d.get("type") == "array" else d
            note = d.get("x-porten-added") or item.get("x-porten-added")
            target = deref(item)
            if target:
                rows.append((prop, ctypes[target], note))
                continue
            if item.get("type") in ("array", "object"):
                fail("unsupported nested %s in %s.%s" % (item.get("type"), n, prop))
            xt, enum = simple(item, prop)
            if "enum" in item and prop in OPEN_CODE_LISTS:
                opened.add(prop)
            if enum:
                ename, values = enum
                if enums.get(ename, values) != values:
                    ename = upper1(prop) + ename
                    if enums.get(ename, values) != values:
                        fail("conflicting enum " + ename)
                enums[ename] = values
                xt = ename
                for v in item.get("x-porten-added-values", []):
                    enum_added[(ename, v)] = "%s.%s" % (ctypes[n], prop)
            rows.append((prop, xt, note))
        members[ctypes[n]] = (n, rows)
    clash = set(enums) & set(members)
    if clash:
        fail("enum and complex type names collide: " + ", ".join(sorted(clash)))

    out = []
    w = out.append
    w('<?xml version="1.0" encoding="UTF-8"?>')
    w("<!-- GENERATED FILE, do not edit. Generated from Skatteetaten's OpenAPI 1.5 contract")
    w("     %s" % escape(source_id))
    w("     by tools/openapi_person_xsd.py, with porten's additions listed in that script")
    w("     (docs/freg-xsd.md). Regenerate with")
    w("       python3 tools/openapi_person_xsd.py PATH/openapi-offentlig-med-hjemmel-1.5.yaml")
    w("     Person documents served as application/xml: members in any order, arrays as")
    w("     repeated elements; required members and cardinality are not enforced. -->")
    w('<xsd:schema xmlns="%s"' % NS)
    w('            xmlns:xsd="http://www.w3.org/2001/XMLSchema"')
    w('            targetNamespace="%s"' % NS)
    w('            elementFormDefault="qualified" attributeFormDefault="unqualified">')
    for root in sorted(ROOTS):
        w('  <xsd:element name="%s" type="%s" />' % (root, ctypes[ROOTS[root]]))
    for tname in sorted(members):
        src, rows = members[tname]
        w('  <xsd:complexType name="%s">' % tname)
        doc = src if src.startswith(P) else src + " (porten)"
        added = schemas[src].get("x-porten-added")
        if added:
            doc += "; not in OpenAPI 1.5, added from " + added
        w("    <xsd:annotation><xsd:documentation>%s</xsd:documentation></xsd:annotation>"
          % escape(doc))
        w('    <xsd:choice minOccurs="0" maxOccurs="unbounded">')
        for prop, xt, note in rows:
            if note and not added:
                w("      <!-- not in OpenAPI 1.5: %s -->" % escape(note))
            w('      <xsd:element name="%s" type="%s" />' % (prop, xt))
        w("    </xsd:choice>")
        w("  </xsd:complexType>")
    for ename in sorted(enums):
        w('  <xsd:simpleType name="%s">' % ename)
        w('    <xsd:restriction base="xsd:string">')
        for v in enums[ename]:  # the contract's order (e.g. ugradert .. strengtFortrolig)
            if (ename, v) in enum_added:
                w("      <!-- not in OpenAPI 1.5 (%s): %s -->" % (
                    escape(enum_added[(ename, v)]), escape(ENUM_SOURCES[v])))
            w("      <xsd:enumeration value=%s />" % quoteattr(v))
        w("    </xsd:restriction>")
        w("  </xsd:simpleType>")
    w("</xsd:schema>")
    return "\n".join(out) + "\n", len(members), len(enums), sorted(opened)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    src = argv[1]
    out = argv[2] if len(argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "contracts", "Person_v1.xsd")
    with open(src, "rb") as f:
        raw = f.read()
    doc = yaml.safe_load(raw)
    version = str(doc.get("info", {}).get("version"))
    if version != "1.5":
        print("openapi_person_xsd: warning: info.version is %s, not 1.5" % version,
              file=sys.stderr)
    source_id = "%s, info.version %s, sha256 %s" % (
        os.path.basename(src), version, hashlib.sha256(raw).hexdigest()[:16])
    log = []
    schemas = extend(doc["components"]["schemas"], log)
    text, n_complex, n_enum, opened = build(schemas, source_id)
    for line in log:
        print("openapi_person_xsd: " + line, file=sys.stderr)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, out)
    print("openapi_person_xsd: wrote %s: %d complex types, %d enumerations%s" % (
        os.path.normpath(out), n_complex, n_enum,
        "; opened enums: " + ", ".join(opened) if opened else ""), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
