package web

import (
	"html/template"
	"net/http"

	"github.com/commons-directory/commons"
)

// chartView is one chart of the stats page and its table.
type chartView struct {
	ID, Title string
	SVG       template.HTML
	Bars      []bar
	Col       string // the table's first column heading
}

// statsView is the stats page.
type statsView struct {
	Local, Remote int
	Charts        []chartView
}

// maxBars bounds a chart to its largest values.
const maxBars = 15

// handleStatsPage answers /stats: the directory by country, kind and
// licence, its growth, and the peers' sizes, as SVG charts with tables.
func (s *server) handleStatsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	page, err := s.dir.SearchRecords(ctx, commons.RecordFilter{IncludeRemote: true, WithFacets: true, Limit: 1})
	if err != nil {
		return err
	}
	growth, err := s.dir.RecordGrowth(ctx)
	if err != nil {
		return err
	}
	local, remote, err := s.dir.CountRecords(ctx)
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	d.Title = d.T("stats.title")
	v := statsView{Local: local, Remote: remote}
	add := func(id, col string, bars []bar) {
		if len(bars) == 0 {
			return
		}
		title := d.T("stats." + id)
		v.Charts = append(v.Charts, chartView{ID: id, Title: title, Col: col, Bars: bars,
			SVG: barChart("c-"+id, title, d.N("stats.desc", len(bars), title), bars)})
	}
	for _, facet := range []string{commons.FacetCountry, commons.FacetKind, commons.FacetLicence} {
		var bars []bar
		for i, c := range page.Facets[facet] {
			if i == maxBars {
				break
			}
			bars = append(bars, bar{facetLabel(d.Lang, facet, c.Value), c.Count})
		}
		add(facet, d.T("facet."+facet), bars)
	}
	var gb []bar
	for _, g := range growth {
		gb = append(gb, bar{g.Value, g.Count})
	}
	if len(gb) > 24 {
		gb = gb[len(gb)-24:]
	}
	add("growth", d.T("stats.month"), gb)
	if s.op != nil {
		peers, err := s.op.Peers(ctx)
		if err != nil {
			return err
		}
		var pb []bar
		for _, p := range peers {
			label := p.Name
			if label == "" {
				label = p.Host
			}
			pb = append(pb, bar{label, p.Records})
		}
		add("peers", d.T("stats.instance"), pb)
	}
	d.Body = v
	return s.render(w, r, http.StatusOK, "stats", d)
}
