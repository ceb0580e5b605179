-- The check-in mix for wrk against the stand-in (bench/mock-throughput.ts runs it).
-- One connection per wrk thread (-t N -c N): a thread's Lua state is then one visit at a time,
-- so each step goes out only after the previous one answered, carrying its session cookie.
-- Flows repeat in the order day-of, then four pre-check-ins (the profile's 588 : 2417 a minute).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local step, flow, uuid, cookie = 0, 0, "", ""
local ok, bad, statuses = 0, 0, {}
local json = { ["Content-Type"] = "application/json" }

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

local function hex(n)
  local t = {}
  for i = 1, n do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

local function new_uuid()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" .. string.format("%x", math.random(8, 11)) .. hex(3) .. "-" .. hex(12)
end

function request()
  if step == 0 then
    flow = (flow % 5) + 1
    uuid = new_uuid()
    cookie = ""
  end
  local pre = flow > 1
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  local s = step
  step = (step + 1) % 4
  if s == 0 then
    return wrk.format("GET", "/check_in/v2/sessions/" .. uuid .. (pre and "?checkInType=preCheckIn" or ""), headers)
  elseif s == 1 then
    headers["Content-Type"] = "application/json"
    local extra = pre and ',"check_in_type":"preCheckIn"' or ""
    return wrk.format("POST", "/check_in/v2/sessions", headers,
      '{"session":{"uuid":"' .. uuid .. '","dob":"1960-03-12","last_name":"Johnson"' .. extra .. '}}')
  elseif s == 2 then
    if pre then
      return wrk.format("GET", "/check_in/v2/pre_check_ins/" .. uuid .. "?checkInType=preCheckIn", headers)
    end
    return wrk.format("GET", "/check_in/v2/patient_check_ins/" .. uuid, headers)
  else
    headers["Content-Type"] = "application/json"
    if pre then
      return wrk.format("POST", "/check_in/v2/pre_check_ins", headers,
        '{"pre_check_in":{"uuid":"' .. uuid .. '","demographics_up_to_date":true,"next_of_kin_up_to_date":true,"emergency_contact_up_to_date":true,"check_in_type":"preCheckIn"}}')
    end
    return wrk.format("POST", "/check_in/v2/patient_check_ins", headers,
      '{"patient_check_ins":{"uuid":"' .. uuid .. '","appointment_ien":"460"}}')
  end
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
  local set = headers["set-cookie"] or headers["Set-Cookie"]
  if set then cookie = string.match(set, "^[^;]+") end
end

function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
  end
  io.write(string.format("CHECKIN_MIX {\"requests\":%d,\"ok\":%d,\"notOk\":%d,\"durationUs\":%d,\"socketErrors\":%d}\n",
    summary.requests, total_ok, total_bad, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
