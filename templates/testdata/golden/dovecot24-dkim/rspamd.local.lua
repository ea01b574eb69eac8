-- rspamd rules for example.com, written by mailadvisor; setup.sh installs
-- it as /etc/rspamd/rspamd.local.lua.
--
-- Submitted mail (a logged-in user, on 587 or 465) must carry the login's
-- own address in its From: header, or one the admin lets it use: Postfix
-- binds only the envelope sender (MAIL FROM, which may also be empty) to
-- the login, and rspamd would DKIM-sign any From: of the domain, so that a
-- colleague's name in From: would verify as genuine.
--
-- The addresses a login may use besides its own are in
-- /etc/mailadvisor/sender-aliases, one line per address with the logins that may
-- send as it, the same file Postfix reads for the envelope:
--   sales@example.com alice@example.com,bob@example.com
-- (rspamd and Postfix read it again when it changes: postfix reload).

local aliases = rspamd_config:add_map({
  type = 'map',
  url = '/etc/mailadvisor/sender-aliases',
  description = 'addresses logins may send as besides their own (mailadvisor)',
})

local function may_send_as(login, addr)
  if addr == login then
    return true
  end
  local owners = aliases and aliases:get_key(addr)
  if not owners then
    return false
  end
  for owner in string.gmatch(tostring(owners), '[^,%s]+') do
    if owner:lower() == login then
      return true
    end
  end
  return false
end

rspamd_config:register_symbol({
  name = 'MAILADVISOR_FROM_NOT_LOGIN',
  type = 'prefilter',
  priority = 10,
  description = 'submitted mail whose From: is not the login address',
  group = 'mailadvisor',
  callback = function(task)
    local login = task:get_user()
    if not login then
      return false -- not submitted: mail from other servers is checked by SPF, DKIM and DMARC
    end
    login = login:lower()
    local from = task:get_from('mime') or {}
    local bad = #from == 0 and '(none)' or nil
    for _, f in ipairs(from) do
      local addr = (f.addr or ''):lower()
      if not may_send_as(login, addr) then
        bad = addr
        break
      end
    end
    if not bad then
      return false
    end
    task:insert_result('MAILADVISOR_FROM_NOT_LOGIN', 1.0, bad)
    task:set_pre_result('reject', 'From: ' .. bad .. ' is not your address (' .. login .. ')', 'mailadvisor')
    return true
  end,
})
