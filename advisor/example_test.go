package advisor_test

import (
	"fmt"

	"github.com/mailadvisor/mailadvisor/advisor"
)

// Score the source article's 50-user company with the built-in rules and
// models, then a home user with one device.
func Example() {
	rules, err := advisor.BuiltinRules()
	if err != nil {
		panic(err)
	}
	models, err := advisor.DefaultModels()
	if err != nil {
		panic(err)
	}
	a := advisor.New(rules, models)

	office, _ := a.Advise(advisor.DefaultScenario(), advisor.Options{})
	fmt.Println("office:", office.Recommendation.Protocol, office.Recommendation.Confidence)

	home, _ := advisor.PresetScenario("single-device-home")
	res, _ := a.Advise(home, advisor.Options{})
	fmt.Println("home:", res.Recommendation.Protocol, *res.Recommendation.LeaveOnServerDays, "days on the server")
	// Output:
	// office: imap strong
	// home: pop3 7 days on the server
}
