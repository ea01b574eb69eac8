package advisor

// Facts is what rule expressions see: every scenario field under its
// snake_case name, plus a few derived values. Optional inputs that are not
// set read as 0, with has_bandwidth / has_budget telling them apart.
type Facts struct {
	Users                  float64 `expr:"users"`
	DevicesPerUser         float64 `expr:"devices_per_user"`
	MobileShare            float64 `expr:"mobile_share"`
	Connectivity           string  `expr:"connectivity"`
	HasBandwidth           bool    `expr:"has_bandwidth"`
	BandwidthMbps          float64 `expr:"bandwidth_mbps"`
	MessagesPerDay         float64 `expr:"messages_per_day"`
	AttachmentShare        float64 `expr:"attachment_share"`
	MailboxGrowthGBPerYear float64 `expr:"mailbox_growth_gb_per_year"`
	RetentionYears         float64 `expr:"retention_years"`
	ServerQuotaGB          float64 `expr:"server_quota_gb"`
	HasBudget              bool    `expr:"has_budget"`
	BudgetEURPerYear       float64 `expr:"budget_eur_per_year"`
	Hosting                string  `expr:"hosting"`
	Region                 string  `expr:"region"`
	OfflineAccess          bool    `expr:"offline_access"`
	SharedMailboxes        bool    `expr:"shared_mailboxes"`
	CentralBackup          bool    `expr:"central_backup"`
	LocalStorageOnly       bool    `expr:"local_storage_only"`
	EndpointBackups        bool    `expr:"endpoint_backups"`
	EnvironmentPriority    float64 `expr:"environment_priority"`

	// BandwidthPerUserMbps is bandwidth_mbps / users (0 when unknown).
	BandwidthPerUserMbps float64 `expr:"bandwidth_per_user_mbps"`
	// MailboxSizeGB is the size a mailbox reaches when all of its retained
	// mail stays on the server: growth per year times retention years.
	MailboxSizeGB float64 `expr:"mailbox_size_gb"`

	// Recommended is the protocol chosen by the points and vetoes. It is ""
	// while points and vetoes are computed, and set for warning rules.
	Recommended string `expr:"recommended"`
}

// NewFacts derives the rule environment from a scenario.
func NewFacts(s *Scenario) Facts {
	f := Facts{
		Users:                  float64(s.Users),
		DevicesPerUser:         s.DevicesPerUser,
		MobileShare:            s.MobileShare,
		Connectivity:           s.Connectivity,
		MessagesPerDay:         s.MessagesPerDay,
		AttachmentShare:        s.AttachmentShare,
		MailboxGrowthGBPerYear: s.MailboxGrowthGBPerYear,
		RetentionYears:         s.RetentionYears,
		ServerQuotaGB:          s.ServerQuotaGB,
		Hosting:                s.Hosting,
		Region:                 s.Region,
		OfflineAccess:          s.OfflineAccess,
		SharedMailboxes:        s.SharedMailboxes,
		CentralBackup:          s.CentralBackup,
		LocalStorageOnly:       s.LocalStorageOnly,
		EndpointBackups:        s.EndpointBackups,
		EnvironmentPriority:    s.EnvironmentPriority,
		MailboxSizeGB:          s.MailboxGrowthGBPerYear * s.RetentionYears,
	}
	if s.BandwidthMbps != nil {
		f.HasBandwidth = true
		f.BandwidthMbps = *s.BandwidthMbps
		if s.Users > 0 {
			f.BandwidthPerUserMbps = f.BandwidthMbps / float64(s.Users)
		}
	}
	if s.BudgetEURPerYear != nil {
		f.HasBudget = true
		f.BudgetEURPerYear = *s.BudgetEURPerYear
	}
	return f
}
