// Package profiles writes what a mail app needs to set up an account:
// Thunderbird autoconfig XML, Apple .mobileconfig profiles (optionally
// signed), Outlook autodiscover responses, RFC 6186/8314 SRV records and a
// plain settings sheet.
//
// Every format is derived from one [Plan]: the ordered list of encrypted
// endpoints for an account, so that hosts, ports and security agree across
// formats. Only implicit TLS and STARTTLS endpoints are planned unless the
// caller explicitly allows cleartext, and then never with a cleartext
// password method. XML is built with encoding/xml and plists with
// howett.net/plist, so no input value can add an element, a key or a line;
// inputs are validated first (RFC 1123 hostnames, converted to punycode,
// addresses, no control characters). The package imports no other domain
// package of mailadvisor.
package profiles
