#!/usr/bin/env python3
"""Rebuilds the tables of docs/RESULTS.md from the reports the pipelines wrote.

Every table in RESULTS.md sits between two markers naming where it comes from:

    <!-- results: sift-demo/report/report.md "Share of the gap to oracle on exact match" -->
    ...replaced by the body of that section of that report.md...
    <!-- /results -->

The path is relative to the repository root (where `sift demo` and `sift pipeline` put their
run folders); the quoted text is a `## ` heading of that Markdown report. Run the pipelines first:

    dotnet run -c Release --project src/Sift.Cli -- demo
    dotnet run -c Release --project src/Sift.Cli -- pipeline recipes/sftmix-ablations.yaml
    dotnet run -c Release --project src/Sift.Cli -- pipeline recipes/noisy-alpaca-gsm8k.yaml
    scripts/results.py            # rewrites docs/RESULTS.md in place
    scripts/results.py --check    # exits 1 if any table differs from its report

A missing report or section is an error naming it, so no table can go stale silently.
Standard library only.
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MARKER = re.compile(r'(<!-- results: (\S+) "([^"]+)" -->\n)(.*?)(<!-- /results -->)', re.S)


def section(report_path, heading):
    path = os.path.join(ROOT, report_path)
    if not os.path.exists(path):
        sys.exit(f"{report_path}: not found; run the pipeline that writes it first (see scripts/results.py)")
    text = open(path, encoding="utf-8").read()
    match = re.search(r"^## " + re.escape(heading) + r"\n\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not match:
        headings = re.findall(r"^## (.+)$", text, re.M)
        sys.exit(f'{report_path}: no section "{heading}"; it has: {", ".join(headings)}')
    return match.group(1).rstrip() + "\n"


def rebuild(text):
    return MARKER.sub(lambda m: m.group(1) + section(m.group(2), m.group(3)) + m.group(5), text)


def main():
    target = os.path.join(ROOT, "docs", "RESULTS.md")
    old = open(target, encoding="utf-8").read()
    new = rebuild(old)
    if "--check" in sys.argv[1:]:
        if new != old:
            sys.exit("docs/RESULTS.md differs from the reports; run scripts/results.py")
        print("docs/RESULTS.md matches the reports")
        return
    tmp = target + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, target)
    print(f"rebuilt {len(MARKER.findall(old))} tables of docs/RESULTS.md")


if __name__ == "__main__":
    main()
