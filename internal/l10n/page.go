package l10n

import (
	"strconv"
	"strings"
	"sync"
)

// The page of mailadvisor serve, for people setting up their own mail
// (package serve): short keys rather than English keys, because the page's
// words are its own; its French is in page_fr.go.

// pageMessages is the page's text in each language: every key in both
// (TestPageMessagesInBothLanguages).
var pageMessages = sync.OnceValue(func() map[Lang]map[string]string {
	return map[Lang]map[string]string{
		English: {
			"title":             "Set up your mail",
			"intro":             "Type your e-mail address: you get the settings for your mail app, a profile to install, and advice on IMAP or POP3 for the way you read mail.",
			"email":             "Your e-mail address",
			"name":              "Your name (optional, shown to the people you write to)",
			"questions":         "How you read mail (optional)",
			"devices":           "On how many devices do you read this mail (computer, phone, tablet)?",
			"offline":           "I must be able to read my mail without a connection",
			"connectivity":      "My Internet connection is",
			"conn.good":         "good",
			"conn.slow":         "slow",
			"conn.intermittent": "often cut off",
			"submit":            "Get my settings",
			"advice":            "Our advice",
			"use":               "Use %s.",
			"imap.plain":        "IMAP keeps your mail on the server: every device shows the same messages and folders.",
			"pop3.plain":        "POP3 downloads your mail to one device, which keeps it.",
			"not.offered":       "Your mail service does not offer %s: the settings below use %s.",
			"why":               "Why",
			"settings":          "Your settings",
			"incoming":          "Incoming mail",
			"outgoing":          "Outgoing mail",
			"col.protocol":      "Protocol",
			"col.server":        "Server",
			"col.port":          "Port",
			"col.security":      "Security",
			"col.username":      "User name",
			"sec.tls":           "SSL/TLS",
			"sec.starttls":      "STARTTLS",
			"password":          "Password: your mail password. It is never in a profile: your app asks for it.",
			"leave":             "POP3: keep a copy on the server for %d days after download.",
			"download":          "Install it",
			"apple":             "Profile for iPhone, iPad and Mac",
			"apple.help":        "Open it on the device, then Settings › Profile Downloaded › Install.",
			"thunderbird":       "Thunderbird configuration file",
			"thunderbird.help":  "Thunderbird finds these settings on its own when you add the account; this file is for your administrator.",
			"qr":                "Scan this code with your phone's camera to open the profile on the phone.",
			"qr.label":          "QR code of the link to the profile",
			"again":             "Another address",
			"error":             "Please check this:",
			"unknown.domain":    "This server has no settings for %s. Ask whoever runs your mail, or use your provider's set-up page.",
			"bad.email":         "%s is not a complete mail address: it should look like name@example.com.",
			"bad.name":          "Your name cannot hold line breaks or control characters, and at most 200 characters.",
			"bad.devices":       "Choose how many devices read this mail: 1 to 6.",
			"bad.connectivity":  "Choose one of the connection types offered.",
			"internal.error":    "Something went wrong on this server. Please try again later, or ask whoever runs your mail.",
			"lang.other":        "Français",
			"lang.other.code":   "fr",
			"footer":            "Made by mailadvisor. Encrypted connections only (RFC 8314).",
		},
		French: pageMessagesFR(),
	}
})

// ruleWords are the advisor's reasons in plain words, for the rules the
// page's questions can make fire (TestPageReasonsAreTranslated tries every
// answer). {devices} is the number of devices.
var pageRuleWords = sync.OnceValue(func() map[Lang]map[string]string {
	return map[Lang]map[string]string{
		English: {
			"multi-device":                "You read mail on {devices} devices: IMAP keeps what you read, move and delete the same on all of them.",
			"single-device":               "One device is enough for POP3: it downloads your mail once and keeps it.",
			"mobile-users":                "You read mail away from your desk: with IMAP your mail follows you.",
			"slow-connection":             "Your connection is slow: POP3 downloads each message once, IMAP keeps talking to the server.",
			"intermittent-connection":     "Your connection is often cut off: with POP3, all the mail already downloaded stays readable.",
			"offline-access":              "You must read mail offline: POP3 keeps every message on your device.",
			"single-copy-risk":            "If your device is lost or broken, POP3 would lose the only copy of your mail; IMAP keeps it on the server.",
			"endpoint-backups":            "Your device is backed up, which covers POP3's risk of losing mail.",
			"very-small-setup":            "For one person, POP3 needs almost nothing on the server.",
			"archiving":                   "Mail kept for years is easier to search and archive on the server.",
			"quota-exceeded":              "Your mailbox would outgrow the space on the server; POP3 moves mail off it.",
			"heavy-attachments-poor-link": "Many large attachments over a weak connection: downloading them once saves transfers.",
			"environment":                 "POP3 emits less CO2 for the same use.",
			"environment-imap":            "IMAP emits less CO2 here.",
		},
		French: pageRuleWordsFR(),
	}
})

// PageText is the page's text for key in lang (English when lang lacks
// it).
func PageText(lang Lang, key string) string {
	if s, ok := pageMessages()[lang][key]; ok {
		return s
	}
	return pageMessages()[English][key]
}

// PageReason is the page's plain words for a rule that fired, with
// {devices} filled in; false when the page has none for the rule.
func PageReason(lang Lang, rule string, devices int) (string, bool) {
	s, ok := pageRuleWords()[lang][rule]
	return strings.ReplaceAll(s, "{devices}", strconv.Itoa(devices)), ok
}
