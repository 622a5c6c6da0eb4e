#!/usr/bin/env python3
"""Latency of the combined views for one child with N entries from four agencies.

Seeds through the public API (so the data is what the service itself writes), then times sequential
requests over one keep-alive connection and prints the median and 95th percentile per view and size.
Usage: combined_view.py BASE_URL FACILITATOR_USER:PASS [SIZES...]   (default sizes: 100 1000 10000)
       combined_view.py BASE_URL FACILITATOR_USER:PASS --seed N   seeds one child, prints its id
"""
import concurrent.futures as cf
import datetime as dt
import http.client
import json
import statistics
import sys
import time
import urllib.parse
import uuid

BASE = sys.argv[1]
FAC_USER, FAC_PASS = sys.argv[2].split(":", 1)
SEED_ONLY = sys.argv[3] == "--seed" if len(sys.argv) > 3 else False
SIZES = [int(s) for s in sys.argv[4 if SEED_ONLY else 3:]] or [100, 1000, 10000]
REPEATS = 40
AGENCIES = ["police", "health", "social_care", "legal"]
KINDS = {"police": "police_interview", "health": "hospital_attendance", "social_care": "home_visit", "legal": "legal_advice"}
url = urllib.parse.urlparse(BASE)


def connect():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def call(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


def login(conn, user, password):
    status, data = call(conn, "POST", "/api/v1/auth/login", {"username": user, "password": password})
    assert status == 200, data
    return json.loads(data)["access_token"]


def entry(i, agency):
    at = dt.datetime(2005, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=7 * i)
    body = {"occurred_at": at.isoformat().replace("+00:00", "Z"), "kind": KINDS[agency], "summary": f"entry {i}",
            "concern_level": ["none", "low", "medium", "high"][i % 4], "concern_categories": ["physical_injury"]}
    if i % 5 == 0:
        body["injuries"] = [{"body_location": "arm", "type": "bruise", "description": "bruise"}]
    if i % 17 == 0:
        body["explanation"] = {"given_by": "mother", "category": "another_child"}
    return body


def seed(tokens, n):
    conn = connect()
    status, data = call(conn, "POST", "/api/v1/children", {"given_name": "Bench", "family_name": f"Child{n}",
                                                           "date_of_birth": "2004-01-01"}, tokens["health"])
    assert status == 201, data
    child = json.loads(data)["id"]

    def post(chunk):
        c = connect()
        for i in chunk:
            agency = AGENCIES[i % 4]
            s, d = call(c, "POST", f"/api/v1/children/{child}/contacts", entry(i, agency), tokens[agency])
            assert s == 201, d
    chunks = [range(k, n, 16) for k in range(16)]
    with cf.ThreadPoolExecutor(16) as ex:
        list(ex.map(post, chunks))
    return child


def timed(path, token):
    conn = connect()
    samples = []
    call(conn, "GET", path, token=token)  # warm
    for _ in range(REPEATS):
        t = time.perf_counter()
        status, _ = call(conn, "GET", path, token=token)
        samples.append((time.perf_counter() - t) * 1000)
        assert status == 200
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    conn = connect()
    ftok = login(conn, FAC_USER, FAC_PASS)
    tokens = {}
    for agency in AGENCIES:
        name, pw = f"bench_{agency}_{uuid.uuid4().hex[:6]}", "bench-password-" + uuid.uuid4().hex
        status, data = call(conn, "POST", "/api/v1/users", {"username": name, "password": pw, "display_name": name,
                                                             "agency": agency, "role": "practitioner"}, ftok)
        assert status == 201, data
        tokens[agency] = login(conn, name, pw)
    if SEED_ONLY:
        print(seed(tokens, SIZES[0]))
        return
    print(f"{'entries':>8} | {'view':<28} | {'median ms':>9} | {'p95 ms':>7}")
    print("-" * 62)
    for n in SIZES:
        t = time.perf_counter()
        child = seed(tokens, n)
        seeded = time.perf_counter() - t
        for label, path in [("gap-report", "gap-report"), ("chronology (limit 50)", "chronology?limit=50"),
                            ("chronology (limit 500)", "chronology?limit=500"), ("concerns", "concerns")]:
            med, p95 = timed(f"/api/v1/children/{child}/{path}", ftok)
            print(f"{n:>8} | {label:<28} | {med:>9.1f} | {p95:>7.1f}")
        print(f"{'':>8}   (seeded {n} contacts through the API in {seeded:.1f} s)")


main()
