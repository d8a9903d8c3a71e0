"""Creates workspaces PREFIX-0 .. PREFIX-(COUNT-1) on PLAN, each with CREDITS, through the
API of a Tribute on 127.0.0.1, 16 connections at a time (for the benchmarks).
Usage: python3 make-workspaces.py PORT KEY PREFIX COUNT PLAN CREDITS"""
import http.client
import json
import sys
from concurrent.futures import ThreadPoolExecutor

port, key, prefix, count, plan, credits = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def make(indices):
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    for i in indices:
        workspace = f"{prefix}-{i}"
        for path, body in ((f"/v1/workspaces", {"id": workspace, "name": workspace, "planId": plan}),
                           (f"/v1/workspaces/{workspace}/credit-grants", {"amount": int(credits)})):
            connection.request("POST", path, json.dumps(body), headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status not in (200, 201):
                raise SystemExit(f"POST {path}: {response.status} {answer[:200]!r}")


with ThreadPoolExecutor(16) as pool:
    for _ in pool.map(make, [range(start, count, 16) for start in range(16)]):
        pass
