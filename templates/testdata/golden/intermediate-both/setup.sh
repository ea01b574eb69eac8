#!/bin/sh
# Sets up the mail server of example.com (mail.example.com) from the files beside
# this script, written by mailadvisor. Run it as root on Debian 12 (Dovecot
# 2.3) or 13 (Dovecot 2.4), once the packages are installed:
#   apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix rspamd fail2ban python3-systemd nftables
# and the certificate exists (/etc/letsencrypt/live/mail.example.com/fullchain.pem).
#
# It prints each step, changes only what differs from these files (so it
# can run again after a new `mailadvisor server all`), keeps a copy of each
# file it replaces that mailadvisor did not write (NAME.before-mailadvisor),
# and stops before changing anything when what it finds conflicts with
# these files.
set -eu
umask 022

here=$(cd "$(dirname "$0")" && pwd)
domain='example.com'
mail_user='vmail'
mail_group='vmail'
mail_root='/var/mail/vhosts'
users_file='/etc/dovecot/users'
recipients='/etc/postfix/mailadvisor-recipients'
sender_aliases='/etc/mailadvisor/sender-aliases'
dovecot_version='2.3'
cert='/etc/letsencrypt/live/mail.example.com/fullchain.pem'
key='/etc/letsencrypt/live/mail.example.com/privkey.pem'
marker='written by mailadvisor'

step() { printf '==> %s\n' "$*"; }
fail() {
	printf 'setup.sh: %s\n' "$*" >&2
	exit 1
}

# install_file SOURCE TARGET MODE OWNER:GROUP [SERVICE]: a changed file
# marks its service for a restart.
changed=''
install_file() {
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		chmod "$3" "$2"
		chown "$4" "$2"
		step "unchanged: $2"
		return
	fi
	if [ -f "$2" ] && ! grep -q "$marker" "$2" && [ ! -e "$2.before-mailadvisor" ]; then
		cp -p "$2" "$2.before-mailadvisor"
		step "kept the previous $2 as $2.before-mailadvisor"
	fi
	install -D -m "$3" -o "${4%:*}" -g "${4#*:}" "$1" "$2"
	step "installed $2"
	changed="$changed ${5:-}"
}

running() {
	if [ -d /run/systemd/system ]; then
		systemctl is-active --quiet "$1"
	else
		service "$1" status >/dev/null 2>&1
	fi
}

# restart SERVICE: as systemd would, or with the service's init script.
restart() {
	if [ -d /run/systemd/system ]; then
		systemctl enable --quiet "$1"
		systemctl restart "$1"
	else
		service "$1" restart
	fi
	sleep 1
	running "$1" || return 1
	step "restarted $1"
}

# listening PORT: something listens on TCP PORT (read from /proc: a
# minimal system may have neither ss nor netstat).
listening() {
	hex=$(printf '%04X' "$1")
	grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# ensure SERVICE: restarted when one of its files changed or it is not
# running, else left as it is.
ensure() {
	case " $changed " in
	*" $1 "*) ;;
	*) if running "$1"; then
		step "running, unchanged: $1"
		return
	fi ;;
	esac
	restart "$1"
}

# 1. Checks, before any change.
[ "$(id -u)" -eq 0 ] || fail "run it as root: sudo sh $0"
if [ -f /etc/mailadvisor/domain ] && [ "$(cat /etc/mailadvisor/domain)" != "$domain" ]; then
	fail "this server was set up for $(cat /etc/mailadvisor/domain), not $domain: these files would replace its configuration"
fi
missing=''
for need in dovecot:dovecot-core doveadm:dovecot-core postfix:postfix postconf:postfix rspamd:rspamd rspamadm:rspamd; do
	command -v "${need%%:*}" >/dev/null 2>&1 || missing="$missing ${need#*:}"
done
for protocol in lmtp imap pop3; do
	[ -e "/usr/lib/dovecot/$protocol" ] || missing="$missing dovecot-${protocol}d"
done
# fail2ban bans through nftables (a minimal Debian has no iptables), and
# reads Debian's journal through python3-systemd.
if command -v fail2ban-client >/dev/null 2>&1; then
	command -v nft >/dev/null 2>&1 || missing="$missing nftables"
	[ ! -d /run/systemd/system ] || python3 -c 'import systemd.journal' 2>/dev/null || missing="$missing python3-systemd"
fi
[ -z "$missing" ] || fail "install the packages first: apt-get install$missing"
have=$(dovecot --version | cut -d. -f1,2)
[ "$have" = "$dovecot_version" ] ||
	fail "these files are for Dovecot $dovecot_version, this system has $have: write them again with mailadvisor server all --dovecot-version $have"
{ [ -r "$cert" ] && [ -r "$key" ]; } ||
	fail "no certificate at $cert and $key: get one first (certbot certonly --standalone -d mail.example.com -d autoconfig.example.com -d autodiscover.example.com -d mta-sts.example.com), or write the files again with --cert and --key"
if getent passwd "$mail_user" >/dev/null; then
	# Its primary group must be the mail group, whether that exists yet or
	# not (adduser --system without --group gives it nogroup, which would
	# pass once, then fail once the group is made).
	if getent group "$mail_group" >/dev/null && [ "$(id -g "$mail_user")" != "$(getent group "$mail_group" | cut -d: -f3)" ]; then
		fail "user $mail_user exists with another primary group than $mail_group: usermod -g $mail_group $mail_user, or write the files again with --mail-group $(id -gn "$mail_user")"
	fi
	if ! getent group "$mail_group" >/dev/null; then
		fail "user $mail_user exists with primary group $(id -gn "$mail_user"), and there is no group $mail_group: addgroup --system $mail_group && usermod -g $mail_group $mail_user (or make the user with adduser --system --group $mail_user)"
	fi
	[ "$(id -u "$mail_user")" -ne 0 ] || fail "user $mail_user is root: mail must belong to an unprivileged user"
fi
# The new files themselves, before they replace anything.
doveconf -n -c "$here/dovecot.conf" >/dev/null || fail "Dovecot refuses $here/dovecot.conf"
postconf -c "$here" -n >/dev/null || fail "Postfix refuses $here/main.cf"
if [ -e "$mail_root" ] && [ "$(stat -c %U "$mail_root")" != "$mail_user" ] && [ -n "$(ls -A "$mail_root")" ]; then
	fail "$mail_root already holds files owned by $(stat -c %U "$mail_root"), not $mail_user"
fi

# 2. The user and group that own the mail.
if ! getent group "$mail_group" >/dev/null; then
	addgroup --system "$mail_group"
	step "created group $mail_group"
fi
if ! getent passwd "$mail_user" >/dev/null; then
	adduser --system --ingroup "$mail_group" --home "$mail_root" --no-create-home --shell /usr/sbin/nologin "$mail_user"
	step "created user $mail_user"
fi
uid=$(id -u "$mail_user")
gid=$(getent group "$mail_group" | cut -d: -f3)
step "mail belongs to $mail_user:$mail_group ($uid:$gid)"

# 3. The mail root, and the users file (mode 0640: only Dovecot reads it).
install -d -m 0750 -o "$mail_user" -g "$mail_group" "$mail_root"
step "mail root: $mail_root"
if [ ! -e "$users_file" ]; then
	install -D -m 0640 -o root -g dovecot /dev/null "$users_file"
	step "created $users_file (add users with mail-adduser)"
else
	chown root:dovecot "$users_file"
	chmod 0640 "$users_file"
	step "users file: $users_file ($(grep -c . "$users_file" || true) users)"
fi
# The users Postfix accepts mail for (mail-adduser and mail-deluser keep it
# up to date), and the addresses logins may send as besides their own.
cut -d: -f1 "$users_file" | grep . | sed 's/$/ OK/' >"$recipients.new" || true
install_file "$recipients.new" "$recipients" 0644 root:root postfix
rm -f "$recipients.new"
if [ ! -e "$sender_aliases" ]; then
	install -D -m 0644 /dev/null "$sender_aliases"
	printf '# Addresses a login may send as besides its own, one per line, with the
# logins allowed: sales@%s alice@%s,bob@%s
# Then: postfix reload (rspamd reads it again by itself).
' "$domain" "$domain" "$domain" >"$sender_aliases"
	step "created $sender_aliases (addresses logins may send as)"
fi

# 4. The files. Dovecot accepts only the mail user's UID and GID: a user
# created by adduser --system has one below Dovecot's default range (500).
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '# %s setup.sh for %s: mail is stored only as %s (UID %s, GID %s).\nfirst_valid_uid = %s\nlast_valid_uid = %s\nfirst_valid_gid = %s\nlast_valid_gid = %s\n' \
	"$marker" "$domain" "$mail_user" "$uid" "$gid" "$uid" "$uid" "$gid" "$gid" >"$tmp"
install_file "$tmp" /etc/dovecot/vmail-uid.conf 0644 root:root dovecot
install_file "$here/dovecot.conf" /etc/dovecot/dovecot.conf 0644 root:root dovecot
install_file "$here/main.cf" /etc/postfix/main.cf 0644 root:root postfix
install_file "$here/master.cf" /etc/postfix/master.cf 0644 root:root postfix
install_file "$here/rspamd-dmarc.conf" /etc/rspamd/local.d/dmarc.conf 0644 root:root rspamd
install_file "$here/rspamd-milter_headers.conf" /etc/rspamd/local.d/milter_headers.conf 0644 root:root rspamd
install_file "$here/rspamd.local.lua" /etc/rspamd/rspamd.local.lua 0644 root:root rspamd
install_file "$here/mail-adduser" /usr/local/sbin/mail-adduser 0755 root:root
install_file "$here/mail-deluser" /usr/local/sbin/mail-deluser 0755 root:root
# certbot runs it after each renewal: Dovecot and Postfix reload the new
# certificate (they would keep serving the old one until restarted).
install_file "$here/certbot-deploy-hook" /etc/letsencrypt/renewal-hooks/deploy/mailadvisor 0755 root:root
# mailadvisor serve, for the mail apps' autoconfig and autodiscover, when
# its binary is on this server.
serve=''
if [ -x /usr/local/bin/mailadvisor ]; then
	install_file "$here/serve-domain.yaml" "/etc/mailadvisor/serve/$domain.yaml" 0644 root:root mailadvisor-serve
	install_file "$here/mailadvisor-serve.service" /etc/systemd/system/mailadvisor-serve.service 0644 root:root mailadvisor-serve
	serve=yes
else
	step "no /usr/local/bin/mailadvisor: copy the binary there and run this again for autoconfig and autodiscover (mailadvisor serve)"
fi
if [ -d /etc/fail2ban/jail.d ]; then
	install_file "$here/fail2ban-dovecot.conf" /etc/fail2ban/filter.d/mailadvisor-dovecot.conf 0644 root:root fail2ban
	install_file "$here/fail2ban.local" /etc/fail2ban/jail.d/mailadvisor.local 0644 root:root fail2ban
else
	step "fail2ban is not installed: no brute-force banning (apt-get install fail2ban, then run this again)"
fi

# 5. Check, then restart what changed or is not running (rspamd first:
# Postfix hands it every message).
doveconf -n >/dev/null
postfix check
rspamadm configtest >/dev/null
step "Dovecot, Postfix and rspamd accept their files"
for service in rspamd dovecot postfix; do
	ensure "$service" || fail "$service is not running after its restart: see its log (journalctl -u $service)"
	if [ "$service" = rspamd ]; then
		# systemd calls rspamd started before its workers listen (it
		# loads its maps first: seconds on a busy server). Postfix answers
		# 451 to every client until the milter listens: wait for it.
		tries=0
		until listening 11332; do
			tries=$((tries + 1))
			[ "$tries" -le 240 ] || fail "rspamd does not listen on 11332 (Postfix's milter) after 120 s: journalctl -u rspamd"
			sleep 0.5
		done
		step "rspamd listens on 11332 (Postfix hands it every message)"
	fi
done
if [ -n "$serve" ]; then
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload
		ensure mailadvisor-serve || fail "mailadvisor-serve is not running: journalctl -u mailadvisor-serve"
	else
		step "no systemd: start mailadvisor serve yourself (ExecStart in $here/mailadvisor-serve.service)"
	fi
fi

# fail2ban, on every run: its jails active, and a ban that really blocks
# (an address of TEST-NET-1, RFC 5737, banned and unbanned at once). Mail
# works without it, so this is checked last; but a server that says it
# bans and does not is worse than none, so a failure here fails setup.sh.
f2b_problem=''
if [ -d /etc/fail2ban/jail.d ]; then
	ensure fail2ban || f2b_problem="fail2ban did not start: read fail2ban-client -d and journalctl -u fail2ban"
	if [ -z "$f2b_problem" ]; then
		for jail in dovecot postfix-sasl; do
			fail2ban-client status "$jail" >/dev/null 2>&1 || f2b_problem="jail $jail is not active: fail2ban-client status $jail"
		done
	fi
	if [ -z "$f2b_problem" ]; then
		test_ip=192.0.2.254
		fail2ban-client set dovecot banip "$test_ip" >/dev/null
		# fail2ban makes its table at the first ban, in the background.
		tries=0
		until nft list ruleset 2>/dev/null | grep -q "$test_ip" || [ "$tries" -ge 20 ]; do
			sleep 0.5
			tries=$((tries + 1))
		done
		if nft list ruleset 2>/dev/null | grep -q "$test_ip"; then
			step "fail2ban bans through nftables (jails dovecot, postfix-sasl)"
		else
			f2b_problem="a ban of $test_ip did not reach nftables (nft list ruleset): bans would block nothing"
		fi
		fail2ban-client set dovecot unbanip "$test_ip" >/dev/null 2>&1 || true
	fi
fi
install -D -m 0644 /dev/null /etc/mailadvisor/domain
printf '%s\n' "$domain" >/etc/mailadvisor/domain

[ -z "$f2b_problem" ] || fail "mail is set up, but brute-force banning is not: $f2b_problem"
step "done. Next:"
printf '    mail-adduser %s     # the postmaster mailbox (postmaster@ and abuse@ go there)\n' 'admin@example.com'
printf '    publish %s at your DNS host (MX, SPF, DKIM, DMARC, SRV)\n' "$domain.zone"
printf '    at your VPS provider: reverse DNS (PTR) of the server = mail.example.com, and port 25 open\n'
