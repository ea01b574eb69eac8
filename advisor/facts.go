package advisor

// facts is what rule expressions see: every scenario field under its
// snake_case name, plus a few derived values. It is a map because
// expr-lang reads map[string]any environments without reflection, which
// halves the cost of scoring.
type facts map[string]any

// Names of the derived facts, besides the scenario fields.
const (
	factHasBandwidth         = "has_bandwidth"           // bandwidth_mbps is set
	factHasBudget            = "has_budget"              // budget_eur_per_year is set
	factBandwidthPerUserMbps = "bandwidth_per_user_mbps" // bandwidth_mbps / users (0 when unknown)
	factMailboxSizeGB        = "mailbox_size_gb"         // growth per year times retention years
	factRecommended          = "recommended"             // "" while scoring; the protocol for warnings
)

// Names of the facts the cost and CO2 models add.
const (
	factPOP3CostEUR = "pop3_cost_eur" // yearly cost of POP3 (self-hosted, or the hosted mailbox)
	factIMAPCostEUR = "imap_cost_eur" // yearly cost of IMAP, self-hosted or hosted as the scenario says
	factIMAPOption  = "imap_option"   // imap-self or imap-hosted
	factPOP3CO2Kg   = "pop3_co2_kg"   // organisation's kg CO2e a year with POP3
	factIMAPCO2Kg   = "imap_co2_kg"   // organisation's kg CO2e a year with IMAP
	factCO2GapShare = "co2_gap_share" // (imap - pop3) / the larger: > 0 when IMAP emits more
	factCarbonModel = "carbon_model"  // the CO2 model in use
)

// factsTypes is the typed sample environment rules are compiled against:
// it has exactly the keys and value types that fill sets.
var factsTypes = func() facts {
	f := facts{}
	s := DefaultScenario()
	s.BandwidthMbps, s.BudgetEURPerYear = new(float64), new(float64)
	f.fill(&s)
	f.setModels(modelFacts{})
	return f
}()

// fill sets every fact from s, overwriting the previous scenario's values.
// Optional inputs that are not set read as 0, with has_bandwidth and
// has_budget telling them apart.
func (f facts) fill(s *Scenario) {
	f.setFloat("users", float64(s.Users))
	f.setFloat("devices_per_user", s.DevicesPerUser)
	f.setFloat("mobile_share", s.MobileShare)
	f.setString("connectivity", s.Connectivity)
	f.setFloat("messages_per_day", s.MessagesPerDay)
	f.setFloat("attachment_share", s.AttachmentShare)
	f.setFloat("mailbox_growth_gb_per_year", s.MailboxGrowthGBPerYear)
	f.setFloat("retention_years", s.RetentionYears)
	f.setFloat("server_quota_gb", s.ServerQuotaGB)
	f.setString("hosting", s.Hosting)
	f.setString("region", s.Region)
	f["offline_access"] = s.OfflineAccess
	f["shared_mailboxes"] = s.SharedMailboxes
	f["central_backup"] = s.CentralBackup
	f["local_storage_only"] = s.LocalStorageOnly
	f["endpoint_backups"] = s.EndpointBackups
	f.setFloat("environment_priority", s.EnvironmentPriority)
	f.setFloat(factMailboxSizeGB, s.MailboxGrowthGBPerYear*s.RetentionYears)
	f.setString(factRecommended, "")

	bandwidth, perUser := 0.0, 0.0
	if s.BandwidthMbps != nil {
		bandwidth = *s.BandwidthMbps
		perUser = bandwidth / float64(max(s.Users, 1))
	}
	f[factHasBandwidth] = s.BandwidthMbps != nil
	f.setFloat("bandwidth_mbps", bandwidth)
	f.setFloat(factBandwidthPerUserMbps, perUser)

	budget := 0.0
	if s.BudgetEURPerYear != nil {
		budget = *s.BudgetEURPerYear
	}
	f[factHasBudget] = s.BudgetEURPerYear != nil
	f.setFloat("budget_eur_per_year", budget)
}

// setModels sets the facts the cost and CO2 models give.
func (f facts) setModels(m modelFacts) {
	f.setFloat(factPOP3CostEUR, m.pop3CostEUR)
	f.setFloat(factIMAPCostEUR, m.imapCostEUR)
	f.setString(factIMAPOption, m.imapOption)
	f.setFloat(factPOP3CO2Kg, m.pop3CO2Kg)
	f.setFloat(factIMAPCO2Kg, m.imapCO2Kg)
	gap := 0.0
	if larger := max(m.pop3CO2Kg, m.imapCO2Kg); larger > 0 {
		gap = (m.imapCO2Kg - m.pop3CO2Kg) / larger
	}
	f.setFloat(factCO2GapShare, gap)
	f.setString(factCarbonModel, m.carbonModel)
}

// setFloat stores a number. A value equal to the one stored is left in
// place: boxing a new one costs an allocation, and between two
// evaluations (the break-even search, rows of a batch) most facts do not
// change.
func (f facts) setFloat(key string, v float64) {
	if old, ok := f[key].(float64); ok && old == v {
		return
	}
	f[key] = v
}

// setString stores a text value, like setFloat.
func (f facts) setString(key string, v string) {
	if old, ok := f[key].(string); ok && old == v {
		return
	}
	f[key] = v
}
