package alerts_test

import (
	"bytes"
	"testing"

	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections/alerts"
)

// FuzzReadTruth: the truth decoder never panics and refuses unknown
// subject kinds.
func FuzzReadTruth(f *testing.F) {
	f.Add([]byte(`{"seed":1,"chips":100,"scenarios":[{"name":"s","rules":["R1"],"subjects":[{"kind":"unit","id":"chip:1","rules":["R1"]}]}]}`))
	f.Add([]byte(`{"scenarios":[{"subjects":[{"kind":"planet","id":"x"}]}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := alerts.ReadTruth(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, sc := range tr.Scenarios {
			for _, s := range sc.Subjects {
				switch s.Kind {
				case alerts.KindUnit, alerts.KindSite, alerts.KindParty, alerts.KindCountry:
				default:
					t.Fatalf("accepted subject kind %q", s.Kind)
				}
			}
		}
		_ = alerts.Eval(tr, nil, []string{"chip:1"})
	})
}

// FuzzLoadBundle: a policy bundle that loads has every part.
func FuzzLoadBundle(f *testing.F) {
	f.Add(policy.DefaultBundleJSON())
	f.Add([]byte(`{"name":"chipledger-policy"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := policy.LoadBundle(data)
		if err != nil {
			return
		}
		if b.Controls == nil || b.Catalogue == nil || b.Digest == "" {
			t.Fatalf("loaded bundle misses a part: %+v", b)
		}
	})
}
