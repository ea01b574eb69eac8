package advisor

// facts is what rule expressions see: every scenario field under its
// snake_case name, plus a few derived values. They are kept typed, in
// arrays indexed by the fact constants below, so that closure-evaluated
// expressions (see closures.go) read them without map lookups or boxing.
// Expressions that need expr's VM read the same facts as a map, rebuilt
// only when one of those runs after a fact changed.
type facts struct {
	number [numberFactCount]float64
	text   [textFactCount]string
	flag   [flagFactCount]bool

	env      map[string]any // the facts as expr's VM reads them
	envStale bool           // env needs rebuilding before the VM runs
}

// numberFact names a numeric fact. Optional inputs that are not set read
// as 0, with has_bandwidth and has_budget telling them apart.
type numberFact int

// The numeric facts.
const (
	factUsers numberFact = iota
	factDevicesPerUser
	factMobileShare
	factMessagesPerDay
	factAttachmentShare
	factMailboxGrowthGBPerYear
	factRetentionYears
	factServerQuotaGB
	factEnvironmentPriority
	factBandwidthMbps
	factBudgetEURPerYear
	factMailboxSizeGB        // growth per year times retention years
	factBandwidthPerUserMbps // bandwidth_mbps / users (0 when unknown)
	factPOP3CostEUR          // yearly cost of POP3 (self-hosted, or the hosted mailbox)
	factIMAPCostEUR          // yearly cost of IMAP, self-hosted or hosted as the scenario says
	factPOP3CO2Kg            // organisation's kg CO2e a year with POP3
	factIMAPCO2Kg            // organisation's kg CO2e a year with IMAP
	factCO2GapShare          // (imap - pop3) / the larger, one device per user: > 0 when IMAP emits more
	numberFactCount
)

var numberFactNames = [numberFactCount]string{
	factUsers:                  "users",
	factDevicesPerUser:         "devices_per_user",
	factMobileShare:            "mobile_share",
	factMessagesPerDay:         "messages_per_day",
	factAttachmentShare:        "attachment_share",
	factMailboxGrowthGBPerYear: "mailbox_growth_gb_per_year",
	factRetentionYears:         "retention_years",
	factServerQuotaGB:          "server_quota_gb",
	factEnvironmentPriority:    "environment_priority",
	factBandwidthMbps:          "bandwidth_mbps",
	factBudgetEURPerYear:       "budget_eur_per_year",
	factMailboxSizeGB:          "mailbox_size_gb",
	factBandwidthPerUserMbps:   "bandwidth_per_user_mbps",
	factPOP3CostEUR:            "pop3_cost_eur",
	factIMAPCostEUR:            "imap_cost_eur",
	factPOP3CO2Kg:              "pop3_co2_kg",
	factIMAPCO2Kg:              "imap_co2_kg",
	factCO2GapShare:            "co2_gap_share",
}

// textFact names a text fact.
type textFact int

// The text facts.
const (
	factConnectivity textFact = iota
	factHosting
	factRegion
	factRecommended       // "" while scoring; the protocol for warnings
	factIMAPOption        // imap-self or imap-hosted
	factPOP3Option        // pop3-self or pop3-hosted
	factCarbonModel       // the CO2 model in use
	factRecommendedOption // "" while scoring; the option for warnings
	textFactCount
)

var textFactNames = [textFactCount]string{
	factConnectivity:      "connectivity",
	factHosting:           "hosting",
	factRegion:            "region",
	factRecommended:       "recommended",
	factIMAPOption:        "imap_option",
	factPOP3Option:        "pop3_option",
	factCarbonModel:       "carbon_model",
	factRecommendedOption: "recommended_option",
}

// flagFact names a yes/no fact.
type flagFact int

// The yes/no facts.
const (
	factOfflineAccess flagFact = iota
	factSharedMailboxes
	factCentralBackup
	factLocalStorageOnly
	factPrivacyPolicy
	factEndpointBackups
	factHasBandwidth // bandwidth_mbps is set
	factHasBudget    // budget_eur_per_year is set
	flagFactCount
)

var flagFactNames = [flagFactCount]string{
	factOfflineAccess:    "offline_access",
	factSharedMailboxes:  "shared_mailboxes",
	factCentralBackup:    "central_backup",
	factLocalStorageOnly: "local_storage_only",
	factPrivacyPolicy:    "privacy_policy",
	factEndpointBackups:  "endpoint_backups",
	factHasBandwidth:     "has_bandwidth",
	factHasBudget:        "has_budget",
}

// factsTypes is the typed sample environment rules are compiled against:
// every fact name with a value of its type.
var factsTypes = func() map[string]any {
	var f facts
	return f.asMap()
}()

// Look-ups from a fact's name to its index, for compiling expressions.
var (
	numberFactIndex = indexNames(numberFactNames[:], func(i int) numberFact { return numberFact(i) })
	textFactIndex   = indexNames(textFactNames[:], func(i int) textFact { return textFact(i) })
	flagFactIndex   = indexNames(flagFactNames[:], func(i int) flagFact { return flagFact(i) })
)

func indexNames[T any](names []string, id func(int) T) map[string]T {
	index := make(map[string]T, len(names))
	for i, name := range names {
		index[name] = id(i)
	}
	return index
}

// fill sets every fact from s, overwriting the previous scenario's values.
func (f *facts) fill(s *Scenario) {
	f.number[factUsers] = float64(s.Users)
	f.number[factDevicesPerUser] = s.DevicesPerUser
	f.number[factMobileShare] = s.MobileShare
	f.number[factMessagesPerDay] = s.MessagesPerDay
	f.number[factAttachmentShare] = s.AttachmentShare
	f.number[factMailboxGrowthGBPerYear] = s.MailboxGrowthGBPerYear
	f.number[factRetentionYears] = s.RetentionYears
	f.number[factServerQuotaGB] = s.ServerQuotaGB
	f.number[factEnvironmentPriority] = s.EnvironmentPriority
	f.number[factMailboxSizeGB] = s.MailboxGrowthGBPerYear * s.RetentionYears

	f.text[factConnectivity] = s.Connectivity
	f.text[factHosting] = s.Hosting
	f.text[factRegion] = s.Region
	f.text[factRecommended] = ""
	f.text[factRecommendedOption] = ""

	f.flag[factOfflineAccess] = s.OfflineAccess
	f.flag[factSharedMailboxes] = s.SharedMailboxes
	f.flag[factCentralBackup] = s.CentralBackup
	f.flag[factLocalStorageOnly] = s.LocalStorageOnly
	f.flag[factPrivacyPolicy] = s.PrivacyPolicy
	f.flag[factEndpointBackups] = s.EndpointBackups

	bandwidth, perUser := 0.0, 0.0
	if s.BandwidthMbps != nil {
		bandwidth = *s.BandwidthMbps
		perUser = bandwidth / float64(max(s.Users, 1))
	}
	f.flag[factHasBandwidth] = s.BandwidthMbps != nil
	f.number[factBandwidthMbps] = bandwidth
	f.number[factBandwidthPerUserMbps] = perUser

	budget := 0.0
	if s.BudgetEURPerYear != nil {
		budget = *s.BudgetEURPerYear
	}
	f.flag[factHasBudget] = s.BudgetEURPerYear != nil
	f.number[factBudgetEURPerYear] = budget
	f.envStale = true
}

// setModels sets the facts the cost and CO2 models give.
func (f *facts) setModels(m modelFacts) {
	f.number[factPOP3CostEUR] = m.pop3CostEUR
	f.number[factIMAPCostEUR] = m.imapCostEUR
	f.text[factIMAPOption] = m.imapOption
	f.text[factPOP3Option] = m.pop3Option
	f.number[factPOP3CO2Kg] = m.pop3CO2Kg
	f.number[factIMAPCO2Kg] = m.imapCO2Kg
	f.number[factCO2GapShare] = m.co2GapShare
	f.text[factCarbonModel] = m.carbonModel
	f.envStale = true
}

// setRecommended sets the protocol and the option the warnings are about.
func (f *facts) setRecommended(protocol, option string) {
	f.text[factRecommended] = protocol
	f.text[factRecommendedOption] = option
	f.envStale = true
}

// vmEnv returns the facts as the map expr's VM reads, refreshed only if a
// fact changed since the last call.
func (f *facts) vmEnv() map[string]any {
	if f.env == nil {
		f.env = make(map[string]any, len(f.number)+len(f.text)+len(f.flag))
		f.envStale = true
	}
	if f.envStale {
		f.copyTo(f.env)
		f.envStale = false
	}
	return f.env
}

// asMap returns every fact under its name.
func (f *facts) asMap() map[string]any {
	m := make(map[string]any, len(f.number)+len(f.text)+len(f.flag))
	f.copyTo(m)
	return m
}

func (f *facts) copyTo(m map[string]any) {
	for i, v := range f.number {
		m[numberFactNames[i]] = v
	}
	for i, v := range f.text {
		m[textFactNames[i]] = v
	}
	for i, v := range f.flag {
		m[flagFactNames[i]] = v
	}
}
