package discover

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mailadvisor/mailadvisor/profiles"
)

// PACC (draft-ietf-mailmaint-pacc-03): the domain's document at
// https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json,
// used, as a client uses it, only when the SHA-256 of its exact bytes is
// in a v=UAAC1 TXT record at _ua-auto-config.<domain>. It names no port
// and no login: implicit TLS on 993, 995 and 465, the whole address.

func (cfg Config) paccURL(domain string) string {
	if cfg.PACCURL != nil {
		return cfg.PACCURL(domain)
	}
	return "https://" + profiles.PACCHostPrefix + domain + profiles.PACCPath
}

type paccDoc struct {
	Protocols map[string]struct {
		Host string `json:"host"`
	} `json:"protocols"`
	Authentication struct {
		Password    bool `json:"password"`
		OAuthPublic *struct {
			Issuer string `json:"issuer"`
		} `json:"oauth-public"`
	} `json:"authentication"`
}

// paccServers are PACC's protocols as servers, in this order.
var paccServers = []struct {
	name, protocol string
	port           int
}{{"imap", "imap", 993}, {"pop3", "pop3", 995}, {"submit", "smtp", 465}}

func (cfg Config) fetchPACC(ctx context.Context, domain, email string) (fetched, error) {
	data, final, err := cfg.get(ctx, cfg.paccURL(domain), "a PACC document")
	f := fetched{final: final}
	if err != nil {
		return f, err
	}
	// No record (NXDOMAIN, or no answer): the document is not used.
	records, _ := cfg.Resolver.LookupTXT(ctx, "_ua-auto-config."+domain)
	if len(records) == 0 {
		return f, fmt.Errorf("the document is served, but _ua-auto-config.%s has no TXT record: clients ignore it", domain)
	}
	if err := profiles.VerifyPACC(data, records); err != nil {
		return f, fmt.Errorf("not used: %w", err)
	}
	var doc paccDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return f, fmt.Errorf("not a PACC document: %w", err)
	}
	var auth []string
	if doc.Authentication.OAuthPublic != nil && doc.Authentication.OAuthPublic.Issuer != "" {
		auth = append(auth, "OAuth2")
		issuer := strings.TrimPrefix(doc.Authentication.OAuthPublic.Issuer, "https://")
		f.oauth = &OAuth2{Issuer: strings.TrimSuffix(issuer, "/")}
	}
	if doc.Authentication.Password {
		auth = append(auth, "password-cleartext")
	}
	for _, p := range paccServers {
		host := strings.TrimSpace(doc.Protocols[p.name].Host)
		if host == "" {
			continue
		}
		f.servers = append(f.servers, Server{Protocol: p.protocol, Host: host, Port: p.port, Security: "tls", Username: email, Auth: auth})
	}
	return f, nil
}
