-- wrk script for benchmarks/http-vs-bare.sh: every connection claims (POST /v1/claims) and
-- releases what it claimed (DELETE of the answer's Location), so requests are half claims, half
-- releases, against the claim API and the bare endpoint alike. Per wrk thread: a FIFO of
-- Locations still to release; a request releases the oldest if there is one, else claims.
-- Counts the answers by status so the summary can say how many claims were bound (201).

local pending = {}
local head, tail = 1, 0
counts = {}
local body = '{"pool":"default/bench","tenant":"wrk","waitMs":1000}'
local claim_headers = { ["content-type"] = "application/json", ["X-Tenant"] = "wrk" }
local release_headers = { ["X-Tenant"] = "wrk" }

function setup(thread)
  table.insert(threads, thread)
end

threads = {}

function request()
  if head <= tail then
    local location = pending[head]
    pending[head] = nil
    head = head + 1
    return wrk.format("DELETE", location, release_headers)
  end
  return wrk.format("POST", "/v1/claims", claim_headers, body)
end

function response(status, headers, _)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then
    local location = headers["Location"] or headers["location"]
    if location then
      tail = tail + 1
      pending[tail] = location
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, status .. "=" .. n) end
  table.sort(parts)
  io.write("STATUS " .. table.concat(parts, " ") .. "\n")
end
