"""Parsing a large multi-document catalog file (issue 10 item 5): a 1.3 MB `catalog-info.yaml`.

A Component plus API entities whose OpenAPI definitions are inline (`definition: |`), as real
catalogs have them. Prints JSON: the file's size and documents, and the median seconds of
`parse_catalog` and of `facts_frames` over it (the path a refresh takes), plus the same for a
file near the 10 MiB limit. Usage: python bench/bench_catalog.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from pipelines.facts.catalog import parse_catalog  # noqa: E402
from pipelines.facts.frames import CATALOG_LIMITS, facts_frames  # noqa: E402


def openapi(i: int, paths: int) -> str:
    """An OpenAPI 3 document of `paths` endpoints, as YAML text."""
    out = ["openapi: 3.0.3", "info:", f"  title: Orders API {i}", "  version: 1.0.0", "paths:"]
    for p in range(paths):
        out += [f"  /v1/orders{i}/resource{p}/{{id}}:", "    get:", f"      operationId: getResource{i}x{p}",
                "      parameters:", "        - name: id", "          in: path", "          required: true",
                "          schema: {type: string, format: uuid}", "      responses:", "        '200':",
                "          description: the resource", "          content:", "            application/json:",
                "              schema:", "                type: object", "                properties:",
                "                  id: {type: string}", "                  total: {type: number, format: double}",
                "                  items: {type: array, items: {type: string}}"]
    return "\n".join(out)


def catalog(target_bytes: int) -> str:
    """A Component and as many API entities as it takes to reach `target_bytes`."""
    docs = ["apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\n  annotations:\n"
            "    backstage.io/source-template: template:default/go-service\nspec:\n  type: service\n"
            "  owner: group:default/team-orders\n  lifecycle: production\n  providesApis: [orders-api-0]\n"]
    size, i = len(docs[0]), 0
    while size < target_bytes:
        body = "\n".join("      " + line for line in openapi(i, 40).splitlines())
        doc = (f"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: orders-api-{i}\nspec:\n"
               f"  type: openapi\n  lifecycle: production\n  owner: team-orders\n  definition: |\n{body}\n")
        docs.append(doc)
        size += len(doc) + 4
        i += 1
    return "---\n".join(docs)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    report = {}
    for label, target in (("1.3MB", 1_300_000), ("9.5MiB", int(9.5 * (1 << 20)))):
        text = catalog(target)
        result = parse_catalog(text, "catalog-info.yaml", CATALOG_LIMITS)
        frame = pl.DataFrame({"repo": ["acme/orders"], "path": ["catalog-info.yaml"], "content": [text]})
        report[label] = {
            "bytes": len(text.encode()), "documents": text.count("---\n") + 1,
            "components": len(result.components), "errors": len(result.errors),
            "parse_catalog_s": timed(lambda t=text: parse_catalog(t, "catalog-info.yaml", CATALOG_LIMITS), args.repeat),
            "facts_frames_s": timed(lambda f=frame: facts_frames(f), args.repeat),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
