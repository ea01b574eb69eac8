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
	f["users"] = float64(s.Users)
	f["devices_per_user"] = s.DevicesPerUser
	f["mobile_share"] = s.MobileShare
	f["connectivity"] = s.Connectivity
	f["messages_per_day"] = s.MessagesPerDay
	f["attachment_share"] = s.AttachmentShare
	f["mailbox_growth_gb_per_year"] = s.MailboxGrowthGBPerYear
	f["retention_years"] = s.RetentionYears
	f["server_quota_gb"] = s.ServerQuotaGB
	f["hosting"] = s.Hosting
	f["region"] = s.Region
	f["offline_access"] = s.OfflineAccess
	f["shared_mailboxes"] = s.SharedMailboxes
	f["central_backup"] = s.CentralBackup
	f["local_storage_only"] = s.LocalStorageOnly
	f["endpoint_backups"] = s.EndpointBackups
	f["environment_priority"] = s.EnvironmentPriority
	f[factMailboxSizeGB] = s.MailboxGrowthGBPerYear * s.RetentionYears
	f[factRecommended] = ""

	bandwidth, perUser := 0.0, 0.0
	if s.BandwidthMbps != nil {
		bandwidth = *s.BandwidthMbps
		perUser = bandwidth / float64(max(s.Users, 1))
	}
	f[factHasBandwidth] = s.BandwidthMbps != nil
	f["bandwidth_mbps"] = bandwidth
	f[factBandwidthPerUserMbps] = perUser

	budget := 0.0
	if s.BudgetEURPerYear != nil {
		budget = *s.BudgetEURPerYear
	}
	f[factHasBudget] = s.BudgetEURPerYear != nil
	f["budget_eur_per_year"] = budget
}

// setModels sets the facts the cost and CO2 models give.
func (f facts) setModels(m modelFacts) {
	f[factPOP3CostEUR] = m.pop3CostEUR
	f[factIMAPCostEUR] = m.imapCostEUR
	f[factIMAPOption] = m.imapOption
	f[factPOP3CO2Kg] = m.pop3CO2Kg
	f[factIMAPCO2Kg] = m.imapCO2Kg
	gap := 0.0
	if larger := max(m.pop3CO2Kg, m.imapCO2Kg); larger > 0 {
		gap = (m.imapCO2Kg - m.pop3CO2Kg) / larger
	}
	f[factCO2GapShare] = gap
	f[factCarbonModel] = m.carbonModel
}
