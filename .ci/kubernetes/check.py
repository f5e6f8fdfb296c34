"""Checks Kubernetes manifests the way an API server would take them, without one.

    python check.py VERSION... < manifests.yaml

Each document is validated, strictly (an unknown field is an error, as `kubectl apply
--validate=strict` makes it), against the JSON schema of each Kubernetes VERSION that
kubernetes-validate bundles; a kind or apiVersion it has no schema for is an error, not a
warning. Then the rules the API server applies that a schema cannot carry, for the kinds the
README's manifests use (k8s.io/kubernetes pkg/apis/batch/validation and core/validation):
a CronJob's name is at most 52 characters (its controller appends an 11-character suffix to
name each Job), its schedule is a standard 5-field cron line or a @descriptor
(cron.ParseStandard), a Job's pods restart Never or OnFailure, every volumeMount names a volume
of its pod, and container names are unique.

Prints the documents as one JSON array on stdout, for the caller to read what they say; on the
first error, prints it on stderr and exits 1.
"""

import json
import re
import sys

import kubernetes_validate
import yaml


def fail(doc, message):
    name = (doc.get("metadata") or {}).get("name", "?")
    sys.exit(f"check.py: {doc.get('kind', '?')}/{name}: {message}")


# Per cron field: its bounds and the names robfig/cron accepts for it.
FIELDS = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split())}),
    ("day of week", 0, 6, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}),
]
DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def schedule_error(schedule):
    """Why cron.ParseStandard would refuse `schedule`, or None."""
    if re.match(r"\s*(CRON_)?TZ=", schedule):
        return "a time zone goes in spec.timeZone, not in the schedule"
    if schedule.strip() in DESCRIPTORS or schedule.startswith("@every "):
        return None
    fields = schedule.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: {schedule!r}"
    for text, (what, low, high, names) in zip(fields, FIELDS):
        for part in text.split(","):
            m = re.fullmatch(r"(\*|\?|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?", part.lower())
            if not m:
                return f"{what}: cannot parse {part!r}"
            if m.group(2) is not None and int(m.group(2)) == 0:
                return f"{what}: step of zero in {part!r}"
            if m.group(1) in ("*", "?"):
                continue
            for bound in m.group(1).split("-"):
                value = names.get(bound, int(bound) if bound.isdigit() else None)
                if value is None or not low <= value <= high:
                    return f"{what}: {bound!r} is not in {low}-{high}"
    return None


def check_pod(doc, spec, where):
    names = [c["name"] for c in spec.get("containers", [])]
    if len(names) != len(set(names)):
        fail(doc, f"{where}.containers: duplicate names {names}")
    volumes = {v["name"] for v in spec.get("volumes", [])}
    for c in spec.get("containers", []):
        for mount in c.get("volumeMounts", []):
            if mount["name"] not in volumes:
                fail(doc, f"{where}.containers[{c['name']}].volumeMounts: no volume {mount['name']!r}")


def check_rules(doc):
    kind = doc.get("kind")
    if kind == "CronJob":
        name = doc["metadata"]["name"]
        if len(name) > 52:
            fail(doc, "metadata.name: must be no more than 52 characters")
        error = schedule_error(doc["spec"]["schedule"])
        if error:
            fail(doc, f"spec.schedule: {error}")
        pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        where = "spec.jobTemplate.spec.template.spec"
    elif kind == "Job":
        pod = doc["spec"]["template"]["spec"]
        where = "spec.template.spec"
    else:
        return
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        fail(doc, f"{where}.restartPolicy: a Job's pods restart Never or OnFailure")
    check_pod(doc, pod, where)


def main():
    versions = sys.argv[1:]
    if not versions:
        sys.exit("usage: check.py VERSION... < manifests.yaml")
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
    if not docs:
        sys.exit("check.py: no manifest on stdin")
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
