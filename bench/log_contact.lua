-- wrk script: every request logs a contact on one child. TOKEN and CHILD come from the environment.
local token = os.getenv("TOKEN")
local child = os.getenv("CHILD")
wrk.method = "POST"
wrk.path = "/api/v1/children/" .. child .. "/contacts"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"occurred_at":"2007-06-28T10:00:00Z","kind":"home_visit","summary":"Bruises and scratches on the face",' ..
  '"child_seen":true,"injuries":[{"body_location":"face","type":"bruise"}],"concern_level":"high",' ..
  '"concern_categories":["physical_injury"]}'

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.1f p99=%.1f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
