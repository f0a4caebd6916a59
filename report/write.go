package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteHTML writes d as one self-contained HTML page: inline CSS, inline
// SVG, no scripts and no external references.
func WriteHTML(w io.Writer, d *Data) error {
	return pageTmpl.Execute(w, d)
}

// formatValue prints a table cell: counts as integers, shares as
// percentages, other values with 4 significant digits; "–" for NaN.
func formatValue(row Row, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case row.Percent:
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	case row.Count:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return formatFloat(v)
}

func formatFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Histogram drawing sizes, in SVG user units.
const (
	svgW, svgH   = 320, 125
	padL, padR   = 30, 8
	padT, padB   = 10, 30
	plotW, plotH = svgW - padL - padR, svgH - padT - padB
)

// bar is one drawn histogram bar.
type bar struct {
	X, Y, W, H float64
	Count      int
	Lo, Hi     string
}

// svgHist is one group's histogram as the template draws it.
type svgHist struct {
	Group string
	Max   int
	N     int
	Bars  []bar
	Ticks []tick
	W, H  int
	Base  float64 // y of the x axis
	Top   float64 // y of the tallest bar's top
	PlotL float64
	PlotR float64
}

type tick struct {
	X     float64
	Label string
}

// drawHist lays out the bars of group g of h, scaled to the tallest bar
// of any group so the groups compare by eye.
func drawHist(h Hist, g int, group string) svgHist {
	maxC := 0
	for _, c := range h.Counts {
		for _, n := range c {
			maxC = max(maxC, n)
		}
	}
	s := svgHist{Group: group, Max: maxC, W: svgW, H: svgH, Base: padT + plotH, Top: padT, PlotL: padL, PlotR: padL + plotW}
	bins := len(h.Counts[g])
	bw := float64(plotW) / float64(bins)
	for i, n := range h.Counts[g] {
		s.N += n
		ht := 0.0
		if maxC > 0 {
			ht = float64(plotH) * float64(n) / float64(maxC)
		}
		s.Bars = append(s.Bars, bar{
			X: padL + float64(i)*bw + 1, W: bw - 2, Y: padT + plotH - ht, H: ht,
			Count: n, Lo: formatFloat(h.Edges[i]), Hi: formatFloat(h.Edges[i+1]),
		})
	}
	for i := 0; i <= bins; i += max(1, bins/5) {
		s.Ticks = append(s.Ticks, tick{X: padL + float64(i)*bw, Label: formatFloat(h.Edges[i])})
	}
	if bins%max(1, bins/5) != 0 {
		s.Ticks = append(s.Ticks, tick{X: padL + plotW, Label: formatFloat(h.Edges[bins])})
	}
	return s
}

var funcs = template.FuncMap{
	"cell": formatValue,
	"hist": func(h Hist, groups []string) []svgHist {
		out := make([]svgHist, len(groups))
		for g, name := range groups {
			out[g] = drawHist(h, g, name)
		}
		return out
	},
	"num":  formatFloat,
	"join": strings.Join,
	"pair": func(a []string, b [][]Example) []struct {
		Group    string
		Examples []Example
	} {
		out := make([]struct {
			Group    string
			Examples []Example
		}, len(a))
		for i := range a {
			out[i].Group, out[i].Examples = a[i], b[i]
		}
		return out
	},
	"f": func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
}

var pageTmpl = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;padding:0 16px;color:#1d2330;background:#fff}
.row{display:flex;flex-wrap:wrap;column-gap:40px}
h1{font-size:1.6em;margin:0 0 4px}
h2{font-size:1.2em;margin:28px 0 8px;border-bottom:1px solid #d8dce4;padding-bottom:4px}
h3{font-size:1em;margin:16px 0 6px}
p.meta{color:#5a6272;margin:0 0 12px}
table{border-collapse:collapse;font-size:.85em;margin:4px 0 8px}
th,td{border:1px solid #d8dce4;padding:2px 8px}
th{background:#f1f3f7;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
.hists{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #e3e6ec;padding:6px;border-radius:4px}
figcaption{font-size:.85em;color:#3c4454}
svg .bar{fill:#4a78c2}
svg .axis{stroke:#8a92a2;stroke-width:1}
svg text{font-size:10px;fill:#5a6272;font-family:inherit}
.example{border:1px solid #e3e6ec;border-radius:4px;padding:8px 10px;margin:8px 0;background:#fcfcfd}
.example .head{font-size:.85em;color:#3c4454;margin-bottom:4px}
.example pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.85em;line-height:1.45}
mark.loop{background:#ffd9a8;border-left:3px solid #e0701a;padding-left:2px}
.elided{color:#8a92a2}
code{background:#f1f3f7;padding:0 3px;border-radius:3px}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">{{.Records}} records in {{len .Groups}} group{{if ne (len .Groups) 1}}s{{end}}, grouped by {{if .GroupBy}}<code>{{.GroupBy}}</code>{{else}}input file{{end}}.</p>

<div class="row"><section>
<h2 id="summary">Summary</h2>
<table id="summary-table">
<thead><tr><th>{{if .GroupBy}}{{.GroupBy}}{{else}}input{{end}}</th>{{range .Groups}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $r := .Summary}}<tr><th>{{$r.Label}}</th>{{range $r.Values}}<td class="num">{{cell $r .}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</section>
{{if .Reasons}}<section><h2 id="reasons">Detect reasons (records giving each)</h2>
<table id="reasons-table">
<thead><tr><th>reason</th>{{range .Groups}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $r := .Reasons}}<tr><th>{{$r.Label}}</th>{{range $r.Values}}<td class="num">{{cell $r .}}</td>{{end}}</tr>
{{end}}</tbody>
</table></section>{{end}}
</div>

<div class="row">
{{if .Metrics}}<section><h2 id="metrics">Score metrics (mean per record)</h2>
<table id="metrics-table">
<thead><tr><th>metric</th>{{range .Groups}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $r := .Metrics}}<tr><th>{{$r.Label}}</th>{{range $r.Values}}<td class="num">{{cell $r .}}</td>{{end}}</tr>
{{end}}</tbody>
</table></section>{{end}}
{{if .Corpus}}<section><h2 id="corpus">Corpus figures (pooled, as <code>score --summary</code>)</h2>
<table id="corpus-table">
<thead><tr><th>figure</th>{{range .Groups}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $r := .Corpus}}<tr><th>{{$r.Label}}</th>{{range $r.Values}}<td class="num">{{cell $r .}}</td>{{end}}</tr>
{{end}}</tbody>
</table></section>{{end}}
</div>

{{$groups := .Groups}}{{range $h := .Hists}}<h2 id="hist-{{$h.Metric}}">Distribution of {{$h.Metric}}</h2>
<div class="hists">
{{range $s := hist $h $groups}}<figure>
<svg xmlns="http://www.w3.org/2000/svg" class="hist" data-metric="{{$h.Metric}}" data-group="{{.Group}}" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img">
<line class="axis" x1="{{.PlotL}}" y1="{{.Base}}" x2="{{.PlotR}}" y2="{{.Base}}"/>
<line class="axis" x1="{{.PlotL}}" y1="{{.Top}}" x2="{{.PlotL}}" y2="{{.Base}}"/>
{{range .Bars}}<rect class="bar" x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" data-count="{{.Count}}"><title>[{{.Lo}}, {{.Hi}}): {{.Count}}</title></rect>
{{end}}{{range .Ticks}}<text x="{{f .X}}" y="{{f $s.Base}}" dy="14" text-anchor="middle">{{.Label}}</text>
{{end}}<text x="{{f .PlotL}}" y="{{f .Top}}" dx="-4" dy="4" text-anchor="end">{{.Max}}</text>
<text x="{{f .PlotL}}" y="{{f .Base}}" dx="-4" text-anchor="end">0</text>
</svg>
<figcaption>{{.Group}} ({{.N}} records)</figcaption>
</figure>
{{end}}</div>
{{end}}

{{$ex := pair .Groups .Examples}}{{if $ex}}<h2 id="examples">Example loops</h2>
{{range $ex}}{{if .Examples}}<h3>{{.Group}}</h3>
{{range .Examples}}<div class="example">
<div class="head"><b>{{.ID}}</b> · {{join .Reasons ", "}} · {{if .Located}}loop from character {{.StartChar}}{{else}}loop located by token ids only{{end}}, token {{.StartToken}}, period {{.Period}}, {{num .Copies}} copies</div>
<pre>{{if .ElidedBefore}}<span class="elided">…</span>{{end}}{{.Before}}<mark class="loop">{{.Loop}}</mark>{{if .ElidedAfter}}<span class="elided">…</span>{{end}}</pre>
</div>
{{end}}{{end}}{{end}}{{end}}
</body>
</html>
`))

// WriteMarkdown writes the tables of d (summary, metrics, reasons,
// histogram bin counts) and the example loops as Markdown.
func WriteMarkdown(w io.Writer, d *Data) error {
	var b strings.Builder
	plural := "s"
	if len(d.Groups) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "# %s\n\n%d records in %d group%s, grouped by %s.\n\n", d.Title, d.Records, len(d.Groups), plural, groupedBy(d))
	table := func(title, first string, rows []Row) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "## %s\n\n| %s |", title, mdCell(first))
		for _, g := range d.Groups {
			fmt.Fprintf(&b, " %s |", mdCell(g))
		}
		b.WriteString("\n|---|" + strings.Repeat("---:|", len(d.Groups)) + "\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s |", mdCell(r.Label))
			for _, v := range r.Values {
				fmt.Fprintf(&b, " %s |", formatValue(r, v))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	first := "input"
	if d.GroupBy != "" {
		first = d.GroupBy
	}
	table("Summary", first, d.Summary)
	table("Score metrics (mean per record)", "metric", d.Metrics)
	table("Corpus figures (pooled over each group's texts, as score --summary)", "figure", d.Corpus)
	table("Detect reasons (records giving each)", "reason", d.Reasons)
	for _, h := range d.Hists {
		var rows []Row
		for i := range h.Edges[:len(h.Edges)-1] {
			r := Row{Label: "[" + formatFloat(h.Edges[i]) + ", " + formatFloat(h.Edges[i+1]) + ")", Count: true}
			if i == len(h.Edges)-2 {
				r.Label = r.Label[:len(r.Label)-1] + "]"
			}
			for g := range d.Groups {
				r.Values = append(r.Values, float64(h.Counts[g][i]))
			}
			rows = append(rows, r)
		}
		table("Distribution of "+h.Metric, h.Metric, rows)
	}
	header := false
	for g, exs := range d.Examples {
		if len(exs) == 0 {
			continue
		}
		if !header {
			b.WriteString("## Example loops\n\nThe loop starts at ⟦.\n\n")
			header = true
		}
		fmt.Fprintf(&b, "### %s\n\n", d.Groups[g])
		for _, e := range exs {
			where := "located by token ids only"
			if e.Located {
				where = fmt.Sprintf("from character %d", e.StartChar)
			}
			fmt.Fprintf(&b, "- **%s** (%s): loop %s, token %d, period %d, %s copies\n\n", e.ID, strings.Join(e.Reasons, ", "), where, e.StartToken, e.Period, formatFloat(e.Copies))
			text := e.Before + "⟦" + e.Loop
			if e.ElidedBefore {
				text = "…" + text
			}
			if e.ElidedAfter {
				text += "…"
			}
			for _, line := range strings.Split(text, "\n") {
				fmt.Fprintf(&b, "  > %s\n", mdText(line))
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func groupedBy(d *Data) string {
	if d.GroupBy != "" {
		return "`" + d.GroupBy + "`"
	}
	return "input file"
}

// mdText escapes the characters Markdown would read as markup, so an
// example shows the text as generated.
func mdText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`).Replace(s)
}

// mdCell escapes what would break a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
