package profiles

import (
	"encoding/xml"
	"io"
	"strings"
)

// Outlook POX Autodiscover response (responseschema/2006 with the
// outlook/responseschema/2006a Response), one Protocol per type (the
// preferred endpoint of each).
// Encryption is SSL for implicit TLS and TLS for STARTTLS; SPA (NTLM) is
// always off, because absent means on.

const (
	autodiscoverNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	outlookNS      = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

type autodiscoverXML struct {
	XMLName  xml.Name         `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response autodiscoverResp `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
}

type autodiscoverResp struct {
	User    *adUser   `xml:"User,omitempty"`
	Account adAccount `xml:"Account"`
}

type adUser struct {
	DisplayName string `xml:"DisplayName"`
}

type adAccount struct {
	AccountType string       `xml:"AccountType"`
	Action      string       `xml:"Action"`
	Protocols   []adProtocol `xml:"Protocol"`
}

type adProtocol struct {
	Type           string `xml:"Type"`
	Server         string `xml:"Server"`
	Port           int    `xml:"Port"`
	LoginName      string `xml:"LoginName"`
	DomainRequired string `xml:"DomainRequired"`
	SPA            string `xml:"SPA"`
	SSL            string `xml:"SSL"`
	Encryption     string `xml:"Encryption"`
	AuthRequired   string `xml:"AuthRequired"`
}

// Encryption words. Cleartext endpoints are never written: every
// protocol entry carries a login, and Outlook would send the password in
// the clear (see encrypted).
var autodiscoverEncryption = map[string]string{SecurityTLS: "SSL", SecuritySTARTTLS: "TLS"}

// WriteAutodiscover writes the plan as an Outlook autodiscover response
// for one address; User/DisplayName is the person's name (Plan.UserName),
// as Microsoft defines it, and is left out without one.
func WriteAutodiscover(w io.Writer, p *Plan) error {
	if err := LoginError(p, formatAutodiscover); err != nil {
		return err
	}
	if err := p.requireAddress("autodiscover"); err != nil {
		return err
	}
	resp := autodiscoverXML{Response: autodiscoverResp{Account: adAccount{AccountType: "email", Action: "settings"}}}
	if p.UserName != "" {
		resp.Response.User = &adUser{DisplayName: p.UserName}
	}
	seen := map[string]bool{}
	for _, e := range encrypted(append(append([]Endpoint{}, p.Incoming...), p.Outgoing...)) {
		// One Protocol per type: Outlook takes one server of each, and a
		// second SMTP entry only leaves it to guess which was meant.
		if seen[e.Protocol] {
			continue
		}
		seen[e.Protocol] = true
		ssl := "on"
		resp.Response.Account.Protocols = append(resp.Response.Account.Protocols, adProtocol{
			Type: strings.ToUpper(e.Protocol), Server: e.Host, Port: e.Port, LoginName: p.LoginOf(e),
			DomainRequired: "off", SPA: "off", SSL: ssl, Encryption: autodiscoverEncryption[e.Security], AuthRequired: "on",
		})
	}
	return writeXML(w, resp)
}
