package advisor

// Connectivity values accepted by [Scenario.Connectivity].
const (
	ConnectivityGood         = "good"
	ConnectivitySlow         = "slow"
	ConnectivityIntermittent = "intermittent"
)

// Hosting values accepted by [Scenario.Hosting].
const (
	HostingAny    = "any" // either: the advice weighs both
	HostingSelf   = "self"
	HostingHosted = "hosted"
)

// Protocol names used in recommendations, contributions and vetoes.
const (
	IMAP = "imap"
	POP3 = "pop3"
)

// Scenario describes the situation the advice is for. Field names in files
// are the snake_case yaml tags; [Fields] lists each one with its allowed
// values. Optional fields are pointers: nil means "not known".
type Scenario struct {
	Users                  int      `yaml:"users" json:"users"`
	DevicesPerUser         float64  `yaml:"devices_per_user" json:"devices_per_user"`
	MobileShare            float64  `yaml:"mobile_share" json:"mobile_share"`
	Connectivity           string   `yaml:"connectivity" json:"connectivity"`
	BandwidthMbps          *float64 `yaml:"bandwidth_mbps" json:"bandwidth_mbps"`
	MessagesPerDay         float64  `yaml:"messages_per_day" json:"messages_per_day"`
	AttachmentShare        float64  `yaml:"attachment_share" json:"attachment_share"`
	MailboxGrowthGBPerYear float64  `yaml:"mailbox_growth_gb_per_year" json:"mailbox_growth_gb_per_year"`
	RetentionYears         float64  `yaml:"retention_years" json:"retention_years"`
	ServerQuotaGB          float64  `yaml:"server_quota_gb" json:"server_quota_gb"`
	BudgetEURPerYear       *float64 `yaml:"budget_eur_per_year" json:"budget_eur_per_year"`
	Hosting                string   `yaml:"hosting" json:"hosting"`
	Region                 string   `yaml:"region" json:"region"`
	OfflineAccess          bool     `yaml:"offline_access" json:"offline_access"`
	SharedMailboxes        bool     `yaml:"shared_mailboxes" json:"shared_mailboxes"`
	CentralBackup          bool     `yaml:"central_backup" json:"central_backup"`
	LocalStorageOnly       bool     `yaml:"local_storage_only" json:"local_storage_only"`
	PrivacyPolicy          bool     `yaml:"privacy_policy" json:"privacy_policy"`
	EndpointBackups        bool     `yaml:"endpoint_backups" json:"endpoint_backups"`
	EnvironmentPriority    float64  `yaml:"environment_priority" json:"environment_priority"`
	// Client names whom the advice is for (a report's title); a label
	// only, which no rule sees.
	Client string `yaml:"client,omitempty" json:"client,omitempty"`
}

// ClientField is the scenario file key of Scenario.Client.
const ClientField = "client"

// maxClientLen bounds Scenario.Client, a name for a title.
const maxClientLen = 200

// DefaultScenario returns the built-in scenario: the source article's
// 50-user small company (the `sme-office` preset).
func DefaultScenario() Scenario {
	return Scenario{
		Users:                  50,
		DevicesPerUser:         2,
		MobileShare:            0.3,
		Connectivity:           ConnectivityGood,
		MessagesPerDay:         40,
		AttachmentShare:        0.1,
		MailboxGrowthGBPerYear: 2,
		RetentionYears:         5,
		ServerQuotaGB:          10,
		Hosting:                HostingAny,
		Region:                 "FR",
		SharedMailboxes:        true,
		CentralBackup:          true,
		EnvironmentPriority:    0.2,
	}
}

// Validate checks every field against its allowed range or set and returns
// a [*ValidationError] listing each invalid field, or nil.
func (s *Scenario) Validate() error {
	var problems []*FieldError
	for i := range fields { // by index: a Field is a few hundred bytes
		if err := fields[i].check(s); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: problems}
}
