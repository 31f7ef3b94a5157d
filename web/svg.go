package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// bar is one bar of a chart.
type bar struct {
	Label string
	Value int
}

// barChart draws a horizontal bar chart as inline SVG: no script, no
// style attribute (the stylesheet colours it), a <title> and <desc> for
// screen readers, which the page's data table repeats in full.
func barChart(id, title, desc string, bars []bar) template.HTML {
	const (
		// A phone's width: the text stays readable when a phone shows the
		// chart whole; wider screens show it at most 26rem wide (style.css).
		width  = 360
		labelW = 130 // room for maxLabel characters
		valueW = 50
		rowH   = 26
		barH   = 18
		// maxLabel is the longest label drawn; a longer one is cut with "…"
		// (the table below the chart has it whole).
		maxLabel = 18
	)
	maxV := 1
	for _, b := range bars {
		maxV = max(maxV, b.Value)
	}
	height := max(1, len(bars))*rowH + 8
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`,
		width, height, id, id)
	fmt.Fprintf(&sb, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(title), id, html.EscapeString(desc))
	span := width - labelW - valueW
	for i, b := range bars {
		y := 4 + i*rowH
		w := b.Value * span / maxV
		if b.Value > 0 {
			w = max(w, 2)
		}
		label := b.Label
		if r := []rune(label); len(r) > maxLabel {
			label = string(r[:maxLabel-1]) + "…"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" class="label">%s</text>`, labelW-8, y+barH-4, html.EscapeString(label))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" class="bar"></rect>`, labelW, y, w, barH)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" class="value">%d</text>`, labelW+w+6, y+barH-4, b.Value)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) //nolint:gosec // every text escaped above
}
