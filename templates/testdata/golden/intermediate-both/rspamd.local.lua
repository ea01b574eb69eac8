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

-- Mail from outside for mailboxes without room for it is refused at the
-- end of DATA. Postfix asks Dovecot's quota-status at RCPT with the size
-- the sender declared (SIZE=); a sender that declares none passes there,
-- and Dovecot answers Postfix only at RCPT. Here the size is known: each
-- recipient of example.com is asked again on quota-status's socket for
-- rspamd, and the message is refused only when every one of them is full
-- (a recipient with room keeps it; the full one's bounce is DKIM-signed).
-- Without an answer (Dovecot down), the message goes on as before.
local tcp = require 'rspamd_tcp'
local rspamd_logger = require 'rspamd_logger'

rspamd_config:register_symbol({
  name = 'MAILADVISOR_MAILBOX_FULL',
  type = 'prefilter',
  priority = 9,
  description = 'mail from outside that no recipient mailbox has room for',
  group = 'mailadvisor',
  callback = function(task)
    if task:get_user() then
      return false -- submitted: Dovecot's LMTP answers the sender, who is logged in
    end
    local rcpts = {}
    for _, r in ipairs(task:get_recipients('smtp') or {}) do
      local addr = (r.addr or ''):lower()
      if (r.domain or ''):lower() == 'example.com' and not addr:find('[%c%s]') then
        table.insert(rcpts, addr)
      end
    end
    if #rcpts == 0 then
      return false
    end
    local size = task:get_size()
    local pending, full, reply = #rcpts, 0, nil
    for _, addr in ipairs(rcpts) do
      local ok, err = tcp.request({
        task = task,
        host = '/run/dovecot/quota-status-rspamd',
        timeout = 5.0,
        data = 'request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=' .. addr .. '\nsize=' .. size .. '\n\n',
        stop_pattern = '\n\n',
        callback = function(e, data)
          pending = pending - 1
          if e then
            rspamd_logger.infox(task, 'quota-status for %s: %s', addr, e)
          else
            local text = tostring(data):match('action=5%d%d [%d.]+ ([^\n]+)')
            if text then
              full, reply = full + 1, text
            end
          end
          if pending == 0 and full == #rcpts then
            task:insert_result('MAILADVISOR_MAILBOX_FULL', 1.0, reply)
            task:set_pre_result('reject', reply, 'mailadvisor')
          end
        end,
      })
      if not ok then
        pending = pending - 1
        rspamd_logger.infox(task, 'quota-status for %s: %s', addr, err)
      end
    end
  end,
})
