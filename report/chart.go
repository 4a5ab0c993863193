package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/go-analyze/charts"

	"github.com/undox/undox"
)

// Text is what a chart says, in its reader's language; the caller owns
// the words.
type Text struct {
	// Lang ("nl" or "en") is how numbers and days are written.
	Lang  string
	Title string
	// Desc describes the chart for those who cannot see it; it is the
	// SVG's <desc>, after its title.
	Desc string
	// Empty is shown instead of a chart when there is nothing to draw.
	Empty string
	// States names the item states (OpenItems).
	States map[undox.ItemStatus]string
}

// Size of every chart, in CSS pixels.
const (
	Width  = 720
	Height = 400
)

// MaxProviders is how many providers the providers' chart shows at most.
const MaxProviders = 10

// OpenItems is a bar chart of the open items by state.
func OpenItems(d *undox.Dashboard, t Text) ([]byte, error) {
	var labels []string
	var values []float64
	total := 0
	for _, sc := range d.OpenItems {
		name := t.States[sc.State]
		if name == "" {
			name = string(sc.State)
		}
		labels = append(labels, name)
		values = append(values, float64(sc.Count))
		total += sc.Count
	}
	if total == 0 {
		return empty(t)
	}
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Title.Text = t.Title
	opt.CategoryAxis.Labels = labels
	// Seven states side by side: slanted, every name is shown.
	opt.CategoryAxis.LabelRotation = charts.DegreesToRadians(30)
	opt.CategoryAxis.LabelCount = len(labels)
	opt.Padding = charts.NewBoxEqual(20)
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), ValueFormatter: integers(t.Lang)}}
	opt.ValueFormatter = integers(t.Lang)
	opt.SeriesList[0].Label = charts.SeriesLabel{Show: charts.Ptr(true), ValueFormatter: integers(t.Lang)}
	return render(t, func(p *charts.Painter) error { return p.BarChart(opt) })
}

// ReportsPerDay is a line chart of the reports per day.
func ReportsPerDay(d *undox.Dashboard, t Text) ([]byte, error) {
	if len(d.ReportsPerDay) == 0 {
		return empty(t)
	}
	var labels []string
	var values []float64
	for _, dc := range d.ReportsPerDay {
		labels = append(labels, Day(t.Lang, dc.Day))
		values = append(values, float64(dc.Count))
	}
	opt := charts.NewLineChartOptionWithData([][]float64{values})
	opt.Title.Text = t.Title
	opt.XAxis.Labels = labels
	opt.Padding = charts.NewBoxEqual(20)
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), ValueFormatter: integers(t.Lang)}}
	opt.ValueFormatter = integers(t.Lang)
	opt.FillArea = charts.Ptr(true)
	return render(t, func(p *charts.Painter) error { return p.LineChart(opt) })
}

// Providers is a horizontal bar chart of the providers with the slowest
// median time to removal, in hours, slowest on top (those that removed
// nothing have no median and are not shown).
func Providers(r *undox.ProviderReport, t Text) ([]byte, error) {
	var shown []undox.ProviderScore
	for _, p := range r.Providers {
		if p.MedianMinutes != nil {
			shown = append(shown, p)
		}
	}
	if len(shown) == 0 {
		return empty(t)
	}
	// Slowest first, then by name: the order of the chart, top down.
	sort.SliceStable(shown, func(i, j int) bool {
		a, b := shown[i], shown[j]
		if *a.MedianMinutes != *b.MedianMinutes {
			return *a.MedianMinutes > *b.MedianMinutes
		}
		return a.Name < b.Name
	})
	shown = shown[:min(len(shown), MaxProviders)]
	// The library draws the first category at the bottom.
	var labels []string
	var values []float64
	for i := len(shown) - 1; i >= 0; i-- {
		labels = append(labels, clip(shown[i].Name, 22))
		values = append(values, math.Round(float64(*shown[i].MedianMinutes)/6)/10) // hours, one decimal
	}
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Horizontal = true
	opt.Title.Text = t.Title
	opt.CategoryAxis.Labels = labels
	opt.Padding = charts.NewBox(20, 20, 40, 20)
	hours := func(v float64) string { return Number(t.Lang, v, 1) }
	// The axis in whole hours, unless its steps are smaller.
	axis := hours
	if slices.Max(values) >= 10 {
		axis = func(v float64) string { return Number(t.Lang, v, 0) }
	}
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), ValueFormatter: axis, LabelCount: 5}}
	opt.ValueFormatter = axis
	opt.SeriesList[0].Label = charts.SeriesLabel{Show: charts.Ptr(true), ValueFormatter: hours}
	return render(t, func(p *charts.Painter) error { return p.BarChart(opt) })
}

// integers writes axis values that are counts: whole numbers only (an
// axis step between two counts gets no label).
func integers(lang string) charts.ValueFormatter {
	return func(v float64) string {
		if v != math.Trunc(v) {
			return ""
		}
		return Number(lang, v, 0)
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// render draws a chart as SVG and rebuilds it safe (sanitize).
func render(t Text, draw func(*charts.Painter) error) ([]byte, error) {
	p := charts.NewPainter(charts.PainterOptions{Width: Width, Height: Height, OutputFormat: charts.ChartOutputSVG})
	if err := draw(p); err != nil {
		return nil, fmt.Errorf("report: chart %q: %w", t.Title, err)
	}
	b, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("report: chart %q: %w", t.Title, err)
	}
	return sanitize(b, t.Title, t.Desc)
}

// empty is a chart with nothing to draw: its title and t.Empty.
func empty(t Text) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d"><rect x="0" y="0" width="%d" height="%d" fill="white"/>`, Width, Height, Width, Height)
	for _, line := range []struct {
		y, size int
		text    string
	}{{36, 16, t.Title}, {Height / 2, 14, t.Empty}} {
		fmt.Fprintf(&b, `<text x="20" y="%d" fill="rgb(70,70,70)" font-size="%dpx" font-family="sans-serif">`, line.y, line.size)
		xml.EscapeText(&b, []byte(line.text))
		b.WriteString(`</text>`)
	}
	b.WriteString(`</svg>`)
	return sanitize(b.Bytes(), t.Title, t.Desc)
}
