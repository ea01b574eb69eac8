// Package templates writes the server side of a small company's mail
// set-up as one coherent, secure configuration: Dovecot 2.3 or 2.4 (IMAP,
// POP3, LMTP, SASL for Postfix), Postfix 3.x (main.cf and master.cf: MX on
// port 25, submission on 587 and 465), rspamd (DKIM signing, SPF, DKIM and
// DMARC checks), fail2ban jails, the DNS records that go with them (MX,
// SPF, DKIM, DMARC, RFC 6186/8314 SRV, autoconfig and autodiscover names,
// optionally MTA-STS and TLS-RPT), and setup.sh and mail-adduser, which
// set it up on a fresh Debian.
//
// The TLS settings follow Mozilla's server-side TLS guidelines 6.0
// (intermediate or modern), gated on the target Dovecot, Postfix and
// OpenSSL versions. Every value that reaches a file is validated first so
// that none can add a line or a directive, and the files carry comments
// saying why each security setting is there. The files are text/template
// files embedded in the binary. The package imports no domain package of
// mailadvisor.
package templates
