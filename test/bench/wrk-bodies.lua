-- wrk script for the ingest bench: POSTs prepared, signed bodies, one after the other.
-- The bench writes them before the clock to a file of "signature<TAB>body" lines (args[1]).
local sigs, bodies, n, i = {}, {}, 0, 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local tab = line:find("\t", 1, true)
    n = n + 1
    sigs[n] = line:sub(1, tab - 1)
    bodies[n] = line:sub(tab + 1)
  end
  file:close()
end

function request()
  i = i % n + 1
  return wrk.format("POST", wrk.path, {
    ["content-type"] = "application/json",
    ["x-growrk-signature"] = sigs[i],
  }, bodies[i])
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
