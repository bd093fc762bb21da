#!/usr/bin/env python3
"""Policy scenarios: YAML files of Kubernetes objects plus one `kind:
Scenario` document listing trace cases (from, to, port, expected verdict,
drop reason and the policy/rule that decided) and lint expectations. Each
case runs the real CLI (`deflector policy trace|lint -o json`).

Usage: run.py DEFLECTOR CASE_FILE...   Prints one line per failure and a
closing "scenarios: N passed, N failed"."""
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def scenario_doc(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    sc = [d for d in docs if d.get("kind") == "Scenario"]
    if len(sc) != 1:
        raise ValueError(f"{path}: needs exactly one kind: Scenario document")
    return sc[0]


def inputs(path, sc):
    files = [path] + [os.path.join(ROOT, p) for p in sc.get("inputs", [])]
    args = []
    for f in files:
        args += ["-f", f]
    return args + [str(a) for a in sc.get("args", [])]


def deciding(out, side):
    """The side whose entry decided, and its description."""
    if side:
        return out[side]
    eg, ing = out["egress"], out["ingress"]
    if eg.get("applies") and eg["verdict"] == "DENIED":
        return eg
    if ing.get("applies"):
        return ing
    return eg


def policy_text(og):
    if og is None:
        return None
    if "synthetic" in og:
        return og["synthetic"]
    ns = og.get("namespace")
    return f"{og['kind']} {ns + '/' if ns else ''}{og['name']}"


def check_trace(binary, path, sc, case):
    port = str(case["port"])
    cmd = [binary, "policy", "trace"] + inputs(path, sc) + [
        "--from", str(case["from"]), "--to", str(case["to"]),
        "--dport", port, "-o", "json"]
    http = case.get("http") or {}
    for k in ("method", "path", "host"):
        if k in http:
            cmd += [f"--http-{k}", str(http[k])]
    if "dns" in case:
        cmd += ["--dns-name", str(case["dns"])]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return [f"exit {p.returncode}: {p.stdout.strip()} {p.stderr.strip()}"]
    out = json.loads(p.stdout)
    want_l7 = (case.get("l7") or {}).get("verdict")
    if want_l7 in ("ALLOWED", "DENIED") and \
            out["l7"]["verdict"] == "NOT_EVALUATED":
        return None  # this build has no L7 matcher: cannot be checked
    errs = []
    want = case["expect"].upper()
    if out["verdict"] != want:
        errs.append(f"verdict {out['verdict']}, want {want}")
    if "reason" in case and out["drop_reason"] != case["reason"]:
        errs.append(f"drop reason {out['drop_reason']}, want {case['reason']}")
    d = deciding(out, case.get("side"))
    if "policy" in case or "rule" in case:
        if not d.get("applies"):
            errs.append(f"{case.get('side', 'deciding side')} is not enforced")
        else:
            og = d["entry"]["policy"] if d.get("entry") else \
                (d["default_deny_by"][0] if d.get("default_deny_by") else None)
            if "policy" in case and policy_text(og) != case["policy"]:
                errs.append(f"policy {policy_text(og)!r}, want {case['policy']!r}")
            if "rule" in case:
                got = og and (og.get("field") or og.get("rule") or og.get("synthetic"))
                if got != case["rule"]:
                    errs.append(f"rule {got!r}, want {case['rule']!r}")
    if "match" in case:
        got = d.get("entry") and d["entry"]["port_proto"]
        if got != case["match"]:
            errs.append(f"entry {got!r}, want {case['match']!r}")
    if "proxy_port" in case:
        got = d.get("entry") and d["entry"]["proxy_port"]
        if got != case["proxy_port"]:
            errs.append(f"proxy port {got}, want {case['proxy_port']}")
    if "l7" in case:
        l7 = case["l7"]
        got = d.get("l7")
        if l7 is None:
            if got is not None:
                errs.append("redirected to a proxy, want no L7")
        elif got is None:
            errs.append("not redirected, want L7")
        else:
            for k in ("parser", "allow_all", "verdict"):
                if k in l7 and got[k] != l7[k]:
                    errs.append(f"l7 {k} {got[k]!r}, want {l7[k]!r}")
            if "rules" in l7 and len(got["rules"]) != l7["rules"]:
                errs.append(f"l7 rules {len(got['rules'])}, want {l7['rules']}")
    return errs


def check_lint(binary, path, sc, expectations):
    cmd = [binary, "policy", "lint", "-o", "json"] + \
        [a for a in inputs(path, sc) if a != "-f"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    try:
        findings = json.loads(p.stdout)["findings"]
    except (json.JSONDecodeError, KeyError):
        findings = None
    if p.returncode not in (0, 1) or findings is None:
        fail = [f"lint exit {p.returncode}: {p.stderr.strip()}"]
        return [(e, [] if e.get("exit") == p.returncode else fail)
                for e in expectations]
    results = []
    for e in expectations:
        if "exit" in e:
            ok = p.returncode == e["exit"]
            results.append((e, [] if ok else [f"exit {p.returncode}, want {e['exit']}"]))
            continue
        hits = [f for f in findings if f["check"] == e["check"] and
                ("line" not in e or f["line"] == e["line"]) and
                ("severity" not in e or f["severity"] == e["severity"]) and
                ("contains" not in e or e["contains"] in f["message"])]
        if e.get("absent"):
            errs = [f"unexpected {e['check']} at line {h['line']}" for h in hits]
        else:
            errs = [] if hits else [
                f"no {e.get('severity', '')} {e['check']} finding"
                f"{' at line ' + str(e['line']) if 'line' in e else ''}; got "
                + ", ".join(f"{f['check']}@{f['line']}" for f in findings)]
        results.append((e, errs))
    return results


def check_help_docs(binary):
    """docs/cli-policy.md shows each --help text verbatim."""
    with open(os.path.join(ROOT, "docs", "cli-policy.md")) as f:
        blocks = f.read().split("```")[1::2]
    results = []
    for verb in ("", "lint", "trace", "map"):
        cmd = [binary, "policy"] + ([verb] if verb else []) + ["--help"]
        text = subprocess.run(cmd, capture_output=True, text=True).stdout
        first = text.split("\n", 1)[0]
        doc = [b for b in blocks if b.lstrip("\n").startswith(first + "\n")]
        label = f"docs/cli-policy.md shows 'deflector policy {verb} --help'"
        if not doc:
            results.append((label, [f"no block starting with {first!r}"]))
        elif doc[0].strip("\n") != text.strip("\n"):
            results.append((label, ["the help text and the doc differ"]))
        else:
            results.append((label, []))
    return results


def check_sarif(binary):
    """The SARIF report has what SARIF 2.1.0 requires and code-scanning
    tools read (runs[].tool.driver.rules, results with ruleId, ruleIndex,
    level, message.text and a physical location with a region)."""
    path = os.path.join(ROOT, "tests", "scenarios", "cases", "22-lint-rules.yaml")
    p = subprocess.run([binary, "policy", "lint", "-o", "sarif", path],
                       capture_output=True, text=True)
    errs = []
    try:
        doc = json.loads(p.stdout)
        assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
        run, = doc["runs"]
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rules = driver["rules"]
        assert all(isinstance(r["id"], str) and r["id"] for r in rules)
        assert len({r["id"] for r in rules}) == len(rules), "duplicate rule ids"
        assert run["results"], "no results"
        for r in run["results"]:
            assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
            assert r["level"] in ("none", "note", "warning", "error")
            assert isinstance(r["message"]["text"], str) and r["message"]["text"]
            loc = r["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"]
            if "region" in loc:
                assert loc["region"]["startLine"] >= 1
                assert loc["region"].get("startColumn", 1) >= 1
    except (AssertionError, KeyError, IndexError, ValueError, TypeError) as e:
        errs.append(f"invalid SARIF: {e!r}")
    return [("lint -o sarif is well-formed SARIF 2.1.0", errs)]


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    passed = failed = skipped = 0
    for path in files:
        name = os.path.relpath(path, ROOT)
        try:
            sc = scenario_doc(path)
        except (ValueError, yaml.YAMLError) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        for i, case in enumerate(sc.get("trace", [])):
            label = case.get("name", f"trace[{i}]")
            try:
                errs = check_trace(binary, path, sc, case)
            except (KeyError, json.JSONDecodeError) as e:
                errs = [f"bad case or output: {e!r}"]
            if errs is None:
                skipped += 1
                print(f"SKIP {name}: {label}: needs the L7 matcher "
                      "(policy/l7_match), not in this build")
            elif errs:
                failed += 1
                print(f"FAIL {name}: {label}: " + "; ".join(errs))
            else:
                passed += 1
        if sc.get("lint"):
            for e, errs in check_lint(binary, path, sc, sc["lint"]):
                label = e.get("name", e.get("check", "exit"))
                if errs:
                    failed += 1
                    print(f"FAIL {name}: lint {label}: " + "; ".join(errs))
                else:
                    passed += 1
    for label, errs in check_help_docs(binary) + check_sarif(binary):
        if errs:
            failed += 1
            print(f"FAIL {label}: " + "; ".join(errs))
        else:
            passed += 1
    if skipped:
        print(f"{skipped} scenarios not run: they need an L7 matcher")
    print(f"scenarios: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
