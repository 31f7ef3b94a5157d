package store

import (
	"maps"
	"slices"

	"github.com/commons-directory/commons"
)

// cloneRecord returns a deep copy of r: the caches share their records, and
// a caller that changes what it was given must not change them.
// TestCloneRecordIsDeep fails when a new reference field is not copied here.
func cloneRecord(r *commons.Record) *commons.Record {
	c := *r
	c.Name = maps.Clone(r.Name)
	c.Summary = maps.Clone(r.Summary)
	c.Description = maps.Clone(r.Description)
	c.Kinds = slices.Clone(r.Kinds)
	c.Sectors = slices.Clone(r.Sectors)
	c.Keywords = slices.Clone(r.Keywords)
	c.Countries = slices.Clone(r.Countries)
	c.Languages = slices.Clone(r.Languages)
	c.Licences = slices.Clone(r.Licences)
	if r.Governance != nil {
		g := *r.Governance
		if g.OpenMembership != nil {
			b := *g.OpenMembership
			g.OpenMembership = &b
		}
		c.Governance = &g
	}
	c.Organisations = slices.Clone(r.Organisations)
	if r.Funding != nil {
		f := *r.Funding
		f.Channels = slices.Clone(f.Channels)
		f.Calls = slices.Clone(f.Calls)
		for i := range f.Calls {
			f.Calls[i].Title = maps.Clone(f.Calls[i].Title)
		}
		c.Funding = &f
	}
	c.Identifiers = slices.Clone(r.Identifiers)
	c.Relations = slices.Clone(r.Relations)
	if r.Programme != nil {
		c.Programme = cloneProgramme(r.Programme)
	}
	return &c
}

func cloneProgramme(p *commons.Programme) *commons.Programme {
	c := *p
	c.Funder.Name = maps.Clone(p.Funder.Name)
	c.Eligibility.Countries = slices.Clone(p.Eligibility.Countries)
	c.Eligibility.Kinds = slices.Clone(p.Eligibility.Kinds)
	c.Eligibility.LegalForms = slices.Clone(p.Eligibility.LegalForms)
	c.Purposes = slices.Clone(p.Purposes)
	if p.Amount != nil {
		a := *p.Amount
		a.Text = maps.Clone(a.Text)
		c.Amount = &a
	}
	if p.CoFunding != nil {
		f := *p.CoFunding
		f.Text = maps.Clone(f.Text)
		c.CoFunding = &f
	}
	c.Calls = slices.Clone(p.Calls)
	for i := range c.Calls {
		c.Calls[i].Title = maps.Clone(c.Calls[i].Title)
	}
	return &c
}
