package federation

import (
	"reflect"
	"testing"

	"github.com/commons-directory/commons"
)

func TestDescribe(t *testing.T) {
	base := goldenRecord()
	tests := []struct {
		name   string
		lang   string
		change func(r *commons.Record)
		want   []string
	}{
		{"Nothing", "en", func(r *commons.Record) {}, nil},
		{"Licence", "en", func(r *commons.Record) { r.Licences[0].Expression = "CC-BY-SA-4.0" },
			[]string{"Licence changed from ODbL-1.0 to CC-BY-SA-4.0."}},
		{"LicenceFrench", "fr", func(r *commons.Record) { r.Licences[0].Expression = "CC-BY-SA-4.0" },
			[]string{"Licence modifiée : ODbL-1.0 → CC-BY-SA-4.0."}},
		{"StatusAndCall", "en", func(r *commons.Record) {
			r.Status = "maintained-only"
			r.Funding.Calls = []commons.FundingCall{{Title: commons.Text{"en": "NGI Zero Commons Fund"}, URL: "https://nlnet.nl/propose/", Deadline: "2026-12-01"}}
		}, []string{"Status changed from Stable to Maintained only.", "New funding call: NGI Zero Commons Fund (deadline 2026-12-01)."}},
		{"Country", "de", func(r *commons.Record) {
			r.Countries = append(r.Countries, commons.Country{Code: "FR", Role: "deployed-in"})
		},
			[]string{"Neue Länder: Frankreich."}},
		{"KindFrench", "fr", func(r *commons.Record) { r.Kinds = append(r.Kinds, "ai-model") },
			[]string{"Nouvelles catégories : Modèle d’IA."}},
		{"Description", "en", func(r *commons.Record) { r.Description = commons.Text{"en": "More."} },
			[]string{"Description updated."}},
		{"Keyword", "en", func(r *commons.Record) { r.Keywords = []string{"maps"} }, []string{"Record updated."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := goldenRecord()
			cur.Funding.Calls = nil
			tt.change(cur)
			old := goldenRecord()
			old.Funding.Calls = nil
			if got := Describe(old, cur, tt.lang); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Describe(nil, base, "fr"); !reflect.DeepEqual(got, []string{"OpenStreetMap rejoint l’annuaire."}) {
		t.Errorf("new record: %q", got)
	}
}
