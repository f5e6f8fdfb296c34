"""Checks Kubernetes manifests the way an API server would take them, without one.

    python check.py VERSION... < manifests.yaml

Each document is validated, strictly (an unknown field is an error, as `kubectl apply
--validate=strict` makes it), against the JSON schema of each Kubernetes VERSION that
kubernetes-validate bundles; a kind or apiVersion it has no schema for is an error, not a
warning. Then the rules the API server applies that a schema cannot carry, for the kinds the
README's manifests use (k8s.io/kubernetes pkg/apis/batch/validation and core/validation):
every document has a metadata.name (`kubectl apply` needs one), a CronJob's name is at most 52
characters (its controller appends an 11-character suffix to name each Job), its schedule is
what cron.ParseStandard takes and has no TZ in it, a Job's pods restart Never or OnFailure,
every volumeMount of a container or init container names a volume of its pod, and container
names are unique across both. What those rules read and a schema leaves optional (a CronJob's
jobTemplate.spec, …) is required here, as the API server's defaulting and validation end up
requiring it.

Prints the documents as one JSON array on stdout, for the caller to read what they say; on the
first error, prints it on stderr as one line and exits 1.
"""

import json
import re
import sys

import kubernetes_validate
import yaml
from kubernetes_validate.utils import all_versions, major_minor


def fail(doc, message):
    name = (doc.get("metadata") or {}).get("name", "?")
    # One line, whatever the manifest's text quoted in the message holds.
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    sys.exit(f"check.py: {doc.get('kind', '?')}/{name}: {message}")


# The schedule rules are those of github.com/robfig/cron/v3 v3.0.1, which Kubernetes vendors
# for cron.ParseStandard, as read in its parser.go (Parse, normalizeFields, getField, getRange,
# parseIntOrName, mustParseInt, parseDescriptor) and spec.go (the bounds), tag v3.0.1, commit
# ccba498c397bb90a9c84945bbb0f7af2d72b6309. The messages are robfig's, as the API server
# returns them.

# spec.go's bounds: (min, max, names). Day of week is 0-6: robfig refuses 7 for Sunday.
MINUTES = (0, 59, {})
HOURS = (0, 23, {})
DOM = (1, 31, {})
MONTHS = (1, 12, {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())})
DOW = (0, 6, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())})
FIELDS = [MINUTES, HOURS, DOM, MONTHS, DOW]
DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

# Go's strings.Fields splits at runs of unicode.IsSpace: these, not Python's str.isspace
# (which also takes U+001C to U+001F).
GO_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


class CronError(Exception):
    pass


def atoi(expr):
    """strconv.Atoi as mustParseInt calls it: an optional sign, ASCII digits, an int64; the
    digits are read in turn, so a run too long for a uint64 is out of range even when
    something that is no digit follows it."""
    digits = re.match(r"[+-]?([0-9]*)", expr)
    if int(digits.group(1) or 0) >= 2**64:
        reason = "value out of range"
    elif not digits.group(1) or digits.end() < len(expr):
        reason = "invalid syntax"
    elif not -(2**63) <= int(expr) < 2**63:
        reason = "value out of range"
    else:
        num = int(expr)
        if num < 0:
            raise CronError(f"negative number ({num}) not allowed: {expr}")
        return num
    raise CronError(f"failed to parse int from {expr}: strconv.Atoi: parsing "
                    f"{strconv_quote(expr)}: {reason}")


GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
              "\v": "\\v", '"': '\\"', "\\": "\\\\"}


def strconv_quote(text):
    """strconv.Quote: printable characters as they are, the others escaped as Go escapes them."""
    def escape(c):
        if c in GO_ESCAPES:
            return GO_ESCAPES[c]
        if c.isprintable():
            return c
        if ord(c) < 0x20 or c == "\x7f":
            return f"\\x{ord(c):02x}"
        return f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
    return '"' + "".join(map(escape, text)) + '"'


def int_or_name(expr, names):
    # strings.ToLower maps U+0130 (İ) to a plain "i", where Python's lower() adds a dot above.
    return names.get(expr.replace("\u0130", "i").lower()) if names else None


def check_range(expr, bounds):
    """getRange: number | number "-" number [ "/" number ], or * or ?, within bounds."""
    low, high, names = bounds
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        # Whatever follows a star's hyphen is never read: "*-x" is "*".
        start, end = low, high
    else:
        start = int_or_name(low_and_high[0], names)
        if start is None:
            start = atoi(low_and_high[0])
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = int_or_name(low_and_high[1], names)
            if end is None:
                end = atoi(low_and_high[1])
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = atoi(range_and_step[1])
        # "N/step" means "N-max/step".
        if len(low_and_high) == 1:
            end = high
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")


# Go's time.ParseDuration, as golang/go src/time/format.go has it (leadingInt,
# leadingFraction, unitMap, ParseDuration): on the bytes of the text, in uint64 arithmetic.
UNITS = {b"ns": 1, b"us": 10**3, "µs".encode(): 10**3, "μs".encode(): 10**3,
         b"ms": 10**6, b"s": 10**9, b"m": 60 * 10**9, b"h": 3600 * 10**9}


def go_quote(text):
    """time's quote(): each byte of a character outside printable ASCII as \\xHH, a quote or
    backslash escaped."""
    def escape(c):
        if " " <= c < "\x80":
            return "\\" + c if c in '"\\' else c
        return "".join(f"\\x{b:02x}" for b in c.encode(errors="surrogatepass"))
    return '"' + "".join(map(escape, text)) + '"'


def check_duration(text):
    invalid = CronError(f"time: invalid duration {go_quote(text)}")
    s = text.encode(errors="surrogatepass")
    neg = s[:1] == b"-"
    if s[:1] in (b"-", b"+"):
        s = s[1:]
    if s == b"0":
        return
    if not s:
        raise invalid
    d = 0
    while s:
        if not re.match(rb"[.0-9]", s):
            raise invalid
        digits = re.match(rb"[0-9]*", s).group()
        s = s[len(digits):]
        v = 0
        for c in digits:
            if v > 2**63 // 10:
                raise invalid
            v = v * 10 + c - ord("0")
            if v > 2**63:
                raise invalid
        f, scale, post = 0, 1.0, False
        if s[:1] == b".":
            fraction = re.match(rb"[0-9]*", s[1:]).group()
            s = s[1 + len(fraction):]
            post = bool(fraction)
            # Digits past what fits are read and dropped (the precision stops growing).
            for c in fraction:
                y = f * 10 + c - ord("0")
                if f > (2**63 - 1) // 10 or y > 2**63:
                    break
                f, scale = y, scale * 10
        if not digits and not post:
            raise invalid
        unit = re.match(rb"[^.0-9]*", s).group()
        s = s[len(unit):]
        if not unit:
            raise CronError(f"time: missing unit in duration {go_quote(text)}")
        if unit not in UNITS:
            unit = go_quote(unit.decode(errors="surrogatepass"))
            raise CronError(f"time: unknown unit {unit} in duration {go_quote(text)}")
        if v > 2**63 // UNITS[unit]:
            raise invalid
        v *= UNITS[unit]
        if f > 0:
            v += int(float(f) * (float(UNITS[unit]) / scale))
            if v > 2**63:
                raise invalid
        # A uint64 sum: two terms of exactly 2^63 wrap to 0, which Go then takes.
        d = (d + v) % 2**64
        if d > 2**63:
            raise invalid
    if not neg and d > 2**63 - 1:
        raise invalid


def check_schedule(spec):
    """cron.ParseStandard(spec), raising what it returns as an error."""
    if not spec:
        raise CronError("empty spec string")
    # A descriptor is the whole spec, to the byte: "@daily " is none, " @daily" is one field.
    if spec.startswith("@"):
        if spec in DESCRIPTORS:
            return
        if spec.startswith("@every "):
            try:
                # Every() takes any duration (it rounds one under a second up to a second).
                check_duration(spec[len("@every "):])
            except CronError as e:
                raise CronError(f"failed to parse duration {spec}: {e}") from None
            return
        raise CronError(f"unrecognized descriptor: {spec}")
    fields = [f for f in GO_SPACE.split(spec) if f]
    if len(fields) != len(FIELDS):
        raise CronError(f"expected exactly {len(FIELDS)} fields, found {len(fields)}: "
                        f"[{' '.join(fields)}]")
    for field, bounds in zip(fields, FIELDS):
        # getField splits with strings.FieldsFunc, which drops empty items: "1,,2" is "1,2".
        for expr in filter(None, field.split(",")):
            check_range(expr, bounds)


def schedule_error(schedule):
    """Why the API server refuses a new CronJob's spec.schedule, or None."""
    # Since Kubernetes 1.27 (kubernetes/kubernetes#116252, validateScheduleFormat in
    # pkg/apis/batch/validation/validation.go), a create is refused whenever the schedule
    # contains "TZ" anywhere, whatever robfig's TZ=/CRON_TZ= prefix parsing makes of it.
    if "TZ" in schedule:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    try:
        check_schedule(schedule)
    except CronError as e:
        return str(e)
    return None


def required(doc, path):
    """The value at `path` (keys joined by dots) of `doc`; refused if anything on it is missing."""
    value = doc
    walked = []
    for key in path.split("."):
        walked.append(key)
        value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            fail(doc, f"{'.'.join(walked)}: Required value")
    return value


def check_pod(doc, spec, where):
    # The API server checks init containers as containers, their names unique among both.
    groups = [(group, spec.get(group) or []) for group in ("initContainers", "containers")]
    names = [c["name"] for _, containers in groups for c in containers]
    for name in names:
        if names.count(name) > 1:
            fail(doc, f"{where}: duplicate container name {name!r} (containers and initContainers)")
    volumes = {v["name"] for v in spec.get("volumes") or []}
    for group, containers in groups:
        for c in containers:
            for mount in c.get("volumeMounts") or []:
                if mount["name"] not in volumes:
                    fail(doc, f"{where}.{group}[{c['name']}].volumeMounts: "
                              f"no volume {mount['name']!r}")


def check_rules(doc):
    name = required(doc, "metadata.name")
    kind = doc["kind"]
    if kind == "CronJob":
        if len(name) > 52:
            fail(doc, "metadata.name: must be no more than 52 characters")
        error = schedule_error(required(doc, "spec.schedule"))
        if error:
            fail(doc, f"spec.schedule: {error}")
        where = "spec.jobTemplate.spec.template.spec"
    elif kind == "Job":
        where = "spec.template.spec"
    else:
        return
    # A pod spec defaults restartPolicy to Always, which a Job refuses.
    pod = required(doc, where)
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        fail(doc, f"{where}.restartPolicy: a Job's pods restart Never or OnFailure")
    # The schema requires the key; the API server also refuses an empty list.
    if not pod["containers"]:
        fail(doc, f"{where}.containers: Required value")
    check_pod(doc, pod, where)


def read_documents():
    """The documents on stdin; a YAML error or a document that is no object ends the run."""
    try:
        # Bytes, which PyYAML decodes itself: text that is no UTF-8 is one of its errors.
        docs = [d for d in yaml.safe_load_all(sys.stdin.buffer) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        sys.exit(f"check.py: not YAML{at}: {' '.join(problem.split())}")
    if not docs:
        sys.exit("check.py: no manifest on stdin")
    for i, doc in enumerate(docs, 1):
        if not isinstance(doc, dict):
            sys.exit(f"check.py: document {i}: not an object but {type(doc).__name__}")
        for key in ("apiVersion", "kind"):
            if not isinstance(doc.get(key), str) or not doc[key]:
                sys.exit(f"check.py: document {i}: {key}: Required value (a non-empty string)")
    return docs


def main():
    versions = sys.argv[1:]
    if not versions:
        sys.exit("usage: check.py VERSION... < manifests.yaml")
    # Asked up front: kubernetes-validate compares versions as text, and fails on one older
    # than its schemas with an IndexError.
    bundled = [major_minor(v) for v in all_versions()]
    for version in versions:
        if major_minor(version.removeprefix("v")) not in bundled:
            sys.exit(f"check.py: kubernetes-validate has no schemas for Kubernetes {version} "
                     f"(it has {bundled[0]} to {bundled[-1]})")
    docs = read_documents()
    for doc in docs:
        for version in versions:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.absolute_path) or "(document)"
                fail(doc, f"not valid Kubernetes {version} at {path}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                fail(doc, e.message)
        check_rules(doc)
    json.dump(docs, sys.stdout)


if __name__ == "__main__":
    main()
