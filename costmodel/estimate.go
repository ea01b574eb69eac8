package costmodel

import (
	"fmt"
	"math"
)

// Input is what the cost depends on, taken from the user's scenario.
type Input struct {
	Users                  int
	DevicesPerUser         float64
	ServerQuotaGB          float64 // per user
	MailboxGrowthGBPerYear float64
	RetentionYears         float64
	EndpointBackups        bool // endpoints are backed up (a POP3 cost)
	Years                  int  // horizon of the total cost of ownership
}

// Line kinds.
const (
	Yearly = "yearly"
	OneOff = "one-off"
)

// Line is one line of an option's bill.
type Line struct {
	Item    string  `json:"item" yaml:"item"`
	Kind    string  `json:"kind" yaml:"kind"` // yearly or one-off
	Formula string  `json:"formula" yaml:"formula"`
	Inputs  string  `json:"inputs" yaml:"inputs"`
	Amount  float64 `json:"amount" yaml:"amount"`
	Source  string  `json:"source" yaml:"source"`
}

// Option is the cost of one way to run mail.
type Option struct {
	Option       string  `json:"option" yaml:"option"` // pop3-self, imap-self, pop3-hosted or imap-hosted
	Label        string  `json:"label" yaml:"label"`
	Yearly       float64 `json:"yearly" yaml:"yearly"`
	OneOff       float64 `json:"one_off" yaml:"one_off"`
	TCO          float64 `json:"tco" yaml:"tco"` // Yearly * Years + OneOff
	PerUserMonth float64 `json:"per_user_month" yaml:"per_user_month"`
	Breakdown    []Line  `json:"breakdown" yaml:"breakdown"`
}

// Estimate is the cost of every option for one input.
type Estimate struct {
	Currency string   `json:"currency" yaml:"currency"`
	Years    int      `json:"years" yaml:"years"`
	Options  []Option `json:"options" yaml:"options"`
}

// Option returns the option called name, and whether there is one.
func (e *Estimate) Option(name string) (Option, bool) {
	for _, o := range e.Options {
		if o.Option == name {
			return o, true
		}
	}
	return Option{}, false
}

// Estimate computes the three options for in. It returns an error when
// the input is out of range (no users, fewer than one device, a horizon
// under one year).
func (p Params) Estimate(in Input) (*Estimate, error) {
	if in.Users < 1 || in.DevicesPerUser < 1 || in.Years < 1 || in.ServerQuotaGB < 0 ||
		in.MailboxGrowthGBPerYear < 0 || in.RetentionYears < 0 {
		return nil, fmt.Errorf("cost input out of range: %+v", in)
	}
	return &Estimate{
		Currency: p.Currency,
		Years:    in.Years,
		Options: []Option{
			p.selfHosted(POP3Self, "self-hosted POP3", "pop3_self", p.POP3Self, in, p.pop3Amounts(in)),
			p.selfHosted(IMAPSelf, "self-hosted IMAP", "imap_self", p.IMAPSelf, in, p.imapAmounts(in)),
			p.hosted(POP3Hosted, "hosted POP3", "pop3_hosted", p.POP3Hosted, in),
			p.hosted(IMAPHosted, "hosted IMAP", "imap_hosted", p.IMAPHosted, in),
		},
	}, nil
}

// YearlyByOption is the yearly cost of each option, without the breakdown.
type YearlyByOption struct{ POP3Self, IMAPSelf, POP3Hosted, IMAPHosted float64 }

// YearlyCosts returns only the yearly cost of each option, without the
// breakdown: the fast path for scoring. The amounts are the ones the
// breakdown lists.
func (p *Params) YearlyCosts(in Input) YearlyByOption {
	return YearlyByOption{POP3Self: p.pop3Amounts(in).total(), IMAPSelf: p.imapAmounts(in).total(),
		POP3Hosted: p.POP3Hosted.yearly(in), IMAPHosted: p.IMAPHosted.yearly(in)}
}

// selfAmounts are the yearly lines of a self-hosted option.
type selfAmounts struct {
	quotaGB                                       float64 // storage per user it pays for
	endpointBackups                               bool    // it pays for backing up the endpoints
	fixed, mailboxes, storage, devices, endpoints float64
}

func (a selfAmounts) total() float64 {
	return a.fixed + a.mailboxes + a.storage + a.devices + a.endpoints
}

// pop3Amounts: POP3 servers hold mail only until it is downloaded, and
// the endpoints, which hold the only copy, are backed up when the
// scenario says so.
func (p *Params) pop3Amounts(in Input) selfAmounts {
	return amounts(p.POP3Self, in, p.POP3Self.TransientQuotaGB, in.EndpointBackups)
}

// imapAmounts: IMAP servers hold every mailbox.
func (p *Params) imapAmounts(in Input) selfAmounts {
	return amounts(p.IMAPSelf, in, imapStorageGB(in), false)
}

// imapStorageGB is the storage per user an IMAP server must hold: the
// quota it provisions, or the mail retained if that is more.
func imapStorageGB(in Input) float64 {
	return math.Max(in.ServerQuotaGB, in.MailboxGrowthGBPerYear*in.RetentionYears)
}

func amounts(s SelfHosted, in Input, quotaGB float64, endpointBackups bool) selfAmounts {
	n, extra := float64(in.Users), math.Max(in.DevicesPerUser-1, 0)
	a := selfAmounts{quotaGB: quotaGB, endpointBackups: endpointBackups, fixed: s.FixedPerYear, mailboxes: s.PerMailboxPerYear * n,
		storage: s.StoragePerGBYear * n * quotaGB * s.Replicas, devices: s.PerExtraDevicePerYear * n * extra}
	if endpointBackups {
		a.endpoints = s.EndpointBackupPerUserPerYear * n
	}
	return a
}

func (h HostedParams) yearly(in Input) float64 { return h.PricePerUserMonth * 12 * float64(in.Users) }

func (p Params) selfHosted(name, label, key string, s SelfHosted, in Input, a selfAmounts) Option {
	n, cur := float64(in.Users), p.Currency
	src := func(k string) string { return p.Source(key + "." + k) }
	lines := []Line{
		{Item: "fixed platform", Kind: Yearly, Formula: "F",
			Inputs: fmt.Sprintf("F=%s %s/year", num(s.FixedPerYear), cur), Amount: a.fixed, Source: src("fixed_per_year")},
		{Item: "mailboxes", Kind: Yearly, Formula: "u*N",
			Inputs: fmt.Sprintf("u=%s %s/mailbox-year, N=%s", num(s.PerMailboxPerYear), cur, num(n)),
			Amount: a.mailboxes, Source: src("per_mailbox_per_year")},
		{Item: "storage", Kind: Yearly, Formula: "c_GB*N*q*rho",
			Inputs: fmt.Sprintf("c_GB=%s %s/GB-year, N=%s, q=%s GB, rho=%s", num(s.StoragePerGBYear), cur, num(n), num(a.quotaGB), num(s.Replicas)),
			Amount: a.storage, Source: src("storage_per_gb_year")},
	}
	if s.PerExtraDevicePerYear > 0 {
		lines = append(lines, Line{Item: "extra devices", Kind: Yearly, Formula: "c_dev*N*(D-1)",
			Inputs: fmt.Sprintf("c_dev=%s %s/device-year, N=%s, D=%s", num(s.PerExtraDevicePerYear), cur, num(n), num(in.DevicesPerUser)),
			Amount: a.devices, Source: src("per_extra_device_per_year")})
	}
	if a.endpointBackups {
		lines = append(lines, Line{Item: "endpoint backups", Kind: Yearly, Formula: "c_endpoint*N",
			Inputs: fmt.Sprintf("c_endpoint=%s %s/user-year, N=%s", num(s.EndpointBackupPerUserPerYear), cur, num(n)),
			Amount: a.endpoints, Source: src("endpoint_backup_per_user_per_year")})
	}
	return p.option(name, label, key, lines, s.OneOff, in)
}

func (p Params) hosted(name, label, key string, h HostedParams, in Input) Option {
	lines := []Line{{Item: "hosted mailboxes", Kind: Yearly, Formula: "price*12*N",
		Inputs: fmt.Sprintf("price=%s %s/mailbox-month, N=%s", num(h.PricePerUserMonth), p.Currency, num(float64(in.Users))),
		Amount: h.yearly(in), Source: p.Source(key + ".price_per_user_month")}}
	return p.option(name, label, key, lines, h.OneOff, in)
}

// option adds the one-off lines to the yearly ones and sums them up.
func (p Params) option(name, label, key string, lines []Line, o OneOffParams, in Input) Option {
	var yearly float64
	for _, l := range lines {
		yearly += l.Amount
	}
	n, cur := float64(in.Users), p.Currency
	src := func(k string) string { return p.Source(key + ".one_off." + k) }
	lines = append(lines,
		Line{Item: "training", Kind: OneOff, Formula: "h*w*N",
			Inputs: fmt.Sprintf("h=%s hours/user, w=%s %s/hour, N=%s", num(o.TrainingHoursPerUser), num(o.HourlyCost), cur, num(n)),
			Amount: o.TrainingHoursPerUser * o.HourlyCost * n, Source: src("training_hours_per_user")},
		Line{Item: "migration", Kind: OneOff, Formula: "m*N",
			Inputs: fmt.Sprintf("m=%s %s/mailbox, N=%s", num(o.MigrationPerMailbox), cur, num(n)),
			Amount: o.MigrationPerMailbox * n, Source: src("migration_per_mailbox")},
		Line{Item: "backup set-up", Kind: OneOff, Formula: "S",
			Inputs: fmt.Sprintf("S=%s %s", num(o.BackupSetup), cur), Amount: o.BackupSetup, Source: src("backup_setup")},
		Line{Item: "changing needs", Kind: OneOff, Formula: "k*C",
			Inputs: fmt.Sprintf("k=%s, C=%s %s/year", num(o.ContingencyShare), num(yearly), cur),
			Amount: o.ContingencyShare * yearly, Source: src("contingency_share")},
	)
	var oneOff float64
	for _, l := range lines[len(lines)-4:] {
		oneOff += l.Amount
	}
	for i := range lines {
		lines[i].Amount = round2(lines[i].Amount)
	}
	return Option{
		Option: name, Label: label,
		Yearly: round2(yearly), OneOff: round2(oneOff),
		TCO:          round2(yearly*float64(in.Years) + oneOff),
		PerUserMonth: round2(yearly / n / 12),
		Breakdown:    lines,
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func num(v float64) string { return fmt.Sprint(round2(v)) }
