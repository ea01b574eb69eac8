package advisor

import (
	"fmt"

	"github.com/mailadvisor/mailadvisor/carbon"
	"github.com/mailadvisor/mailadvisor/costmodel"
)

// Models are the cost and CO2 models behind the budget and environment
// rules and the cost and carbon sections of a [Result].
type Models struct {
	Cost        costmodel.Params
	Carbon      carbon.Params
	CarbonModel string // the carbon model the rules use, one of carbon.Models
	Years       int    // horizon of the total cost of ownership
}

// DefaultModels returns the built-in cost and CO2 parameters, the
// per-message CO2 model and a 3-year horizon.
func DefaultModels() (Models, error) {
	c, err := costmodel.DefaultParams()
	if err != nil {
		return Models{}, err
	}
	co2, err := carbon.DefaultParams()
	if err != nil {
		return Models{}, err
	}
	return Models{Cost: c, Carbon: co2, CarbonModel: carbon.PerMessage, Years: costmodel.DefaultYears}, nil
}

// CostInput is what the cost model needs from a scenario.
func (m Models) CostInput(s *Scenario) costmodel.Input {
	return costmodel.Input{
		Users: s.Users, DevicesPerUser: s.DevicesPerUser, ServerQuotaGB: s.ServerQuotaGB,
		MailboxGrowthGBPerYear: s.MailboxGrowthGBPerYear, RetentionYears: s.RetentionYears,
		EndpointBackups: s.EndpointBackups, Years: m.Years,
	}
}

// CarbonInput is what the CO2 models need from a scenario. POP3 keeps a
// copy on the server for the days the advice would recommend.
func (m Models) CarbonInput(s *Scenario) carbon.Input {
	return carbon.Input{
		Users: s.Users, DevicesPerUser: s.DevicesPerUser, MessagesPerDay: s.MessagesPerDay,
		AttachmentShare: s.AttachmentShare, RetentionYears: s.RetentionYears,
		POP3ServerDays: float64(daysOnServer(s)), Region: s.Region,
	}
}

// modelFacts are the facts the cost and CO2 models add for the rules.
type modelFacts struct {
	costs                    costmodel.YearlyByOption
	pop3CostEUR, imapCostEUR float64
	pop3Option, imapOption   string
	pop3CO2Kg, imapCO2Kg     float64
	co2GapShare              float64 // with one device per user
	carbonModel              string
}

// modelFacts computes the yearly cost of each protocol, as its cheapest
// option the scenario's hosting allows (both hostings when it is any), and
// the organisation's yearly CO2 in the model in use.
func (m *Models) modelFacts(s *Scenario) (modelFacts, error) {
	y := m.Cost.YearlyCosts(m.CostInput(s))
	// Money is counted in cents: the budget is compared with the amount
	// shown, not with float noise past it (35 mailboxes at 4.40 a month
	// are 1848, not 1848.0000000000002, and fit a budget of 1848).
	y.POP3Self, y.IMAPSelf, y.POP3Hosted, y.IMAPHosted = round2(y.POP3Self), round2(y.IMAPSelf), round2(y.POP3Hosted), round2(y.IMAPHosted)
	mf := modelFacts{costs: y, carbonModel: m.CarbonModel}
	mf.pop3Option, mf.pop3CostEUR = cheapest(s.Hosting, costmodel.POP3Self, y.POP3Self, costmodel.POP3Hosted, y.POP3Hosted)
	mf.imapOption, mf.imapCostEUR = cheapest(s.Hosting, costmodel.IMAPSelf, y.IMAPSelf, costmodel.IMAPHosted, y.IMAPHosted)
	var err error
	in := m.CarbonInput(s)
	mf.pop3CO2Kg, mf.imapCO2Kg, err = m.Carbon.Yearly(in, m.CarbonModel)
	if err != nil {
		return mf, fmt.Errorf("CO2 model: %w", err)
	}
	// The gap the environment rules weigh is the protocols' for the same
	// use, one device each: what more devices add with IMAP is the price of
	// syncing them, which POP3 does not do and the multi-device rule weighs.
	// So more devices never move the score towards POP3.
	in.DevicesPerUser = 1
	pop3, imap, err := m.Carbon.Yearly(in, m.CarbonModel)
	if err != nil {
		return mf, fmt.Errorf("CO2 model: %w", err)
	}
	if larger := max(pop3, imap); larger > 0 {
		mf.co2GapShare = (imap - pop3) / larger
	}
	return mf, nil
}

// cheapest is a protocol's option for a hosting choice: the one asked
// for, or with any, the cheaper (self-hosted on a tie).
func cheapest(hosting, self string, selfCost float64, hosted string, hostedCost float64) (string, float64) {
	switch {
	case hosting == HostingSelf:
		return self, selfCost
	case hosting == HostingHosted:
		return hosted, hostedCost
	case hostedCost < selfCost:
		return hosted, hostedCost
	default:
		return self, selfCost
	}
}
