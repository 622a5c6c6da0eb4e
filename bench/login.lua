-- wrk script: every request logs in as LOGIN_USER with LOGIN_PASSWORD (from the environment).
wrk.method = "POST"
wrk.path = "/api/v1/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"' .. os.getenv("LOGIN_USER") .. '","password":"' .. os.getenv("LOGIN_PASSWORD") .. '"}'

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.1f p99=%.1f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
