#!/bin/sh
# Sets up the mail server of example.com (mail.example.com) from the files beside
# this script, written by mailadvisor. Run it as root on Debian 12 (Dovecot
# 2.3) or 13 (Dovecot 2.4), once the packages are installed:
#   apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix rspamd fail2ban
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
[ -z "$missing" ] || fail "install the packages first: apt-get install$missing"
have=$(dovecot --version | cut -d. -f1,2)
[ "$have" = "$dovecot_version" ] ||
	fail "these files are for Dovecot $dovecot_version, this system has $have: write them again with mailadvisor server all --dovecot-version $have"
{ [ -r "$cert" ] && [ -r "$key" ]; } ||
	fail "no certificate at $cert and $key: get one first (certbot certonly --standalone -d mail.example.com), or write the files again with --cert and --key"
if getent passwd "$mail_user" >/dev/null; then
	if getent group "$mail_group" >/dev/null && [ "$(id -g "$mail_user")" != "$(getent group "$mail_group" | cut -d: -f3)" ]; then
		fail "user $mail_user exists with another primary group than $mail_group: usermod -g $mail_group $mail_user, or write the files again with --mail-group $(id -gn "$mail_user")"
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
install_file "$here/mail-adduser" /usr/local/sbin/mail-adduser 0755 root:root
if [ -d /etc/fail2ban/jail.d ]; then
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
	case " $changed " in
	*" $service "*) ;;
	*) if running "$service"; then
		step "running, unchanged: $service"
		continue
	fi ;;
	esac
	restart "$service" || fail "$service is not running after its restart: see its log (journalctl -u $service)"
done
# fail2ban refuses to start when any of its jails has no log (the sshd
# jail, say): mail works without it, so a failure here is a warning.
case " $changed " in
*" fail2ban "*)
	restart fail2ban || printf 'setup.sh: warning: fail2ban did not restart: read fail2ban-client -d, mend it, and run this again\n' >&2
	;;
esac
install -D -m 0644 /dev/null /etc/mailadvisor/domain
printf '%s\n' "$domain" >/etc/mailadvisor/domain

step "done. Next:"
printf '    mail-adduser %s     # the postmaster mailbox (postmaster@ and abuse@ go there)\n' 'admin@example.com'
printf '    publish %s at your DNS host (MX, SPF, DKIM, DMARC, SRV)\n' "$domain.zone"
printf '    at your VPS provider: reverse DNS (PTR) of the server = mail.example.com, and port 25 open\n'
