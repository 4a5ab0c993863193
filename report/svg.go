package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
)

// A chart is shown by pages that forbid inline script and style (their
// Content-Security-Policy), as an <img> or inline. So every SVG that
// leaves this package is rebuilt from a list of what it may hold: the
// drawing elements and their geometry, with the charting library's style
// attributes turned into presentation attributes. No script, no event
// handler, no link, no style attribute, no reference to anything outside
// the document can pass, whatever the library emits.

var svgElements = map[string]bool{
	"svg": true, "g": true, "path": true, "text": true, "tspan": true, "rect": true, "circle": true,
	"ellipse": true, "line": true, "polyline": true, "polygon": true,
}

// svgAttributes are the attributes kept, geometry and presentation.
var svgAttributes = map[string]bool{
	"x": true, "y": true, "x1": true, "y1": true, "x2": true, "y2": true, "cx": true, "cy": true, "r": true,
	"rx": true, "ry": true, "width": true, "height": true, "d": true, "points": true, "transform": true,
	"viewBox": true, "fill": true, "stroke": true, "stroke-width": true, "stroke-dasharray": true,
	"stroke-linecap": true, "stroke-linejoin": true, "fill-opacity": true, "stroke-opacity": true,
	"opacity": true, "font-size": true, "font-family": true, "font-weight": true, "font-style": true,
	"text-anchor": true, "dominant-baseline": true,
}

// safeValue are the characters an attribute may hold: numbers, names,
// colours (rgb(…), #…), lists and path data; never "url(", a colon or
// anything that could start markup.
var safeValue = regexp.MustCompile(`^[A-Za-z0-9\s#.,()%'\-]*$`)

func keep(name, value string) bool {
	return svgAttributes[name] && safeValue.MatchString(value) && !strings.Contains(strings.ToLower(value), "url(")
}

// sanitize rebuilds an SVG document from what it may hold (see above),
// with title and desc first, for those who cannot see the chart.
func sanitize(in []byte, title, desc string) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(in))
	dec.Strict = true
	var out bytes.Buffer
	depth, skip := 0, 0 // skip: the depth of a dropped element's subtree
	root := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if skip > 0 {
				continue
			}
			name := t.Name.Local
			if t.Name.Space != "" && t.Name.Space != "http://www.w3.org/2000/svg" || !svgElements[name] || root != (name == "svg") {
				skip = depth
				continue
			}
			out.WriteString("<" + name)
			if root {
				out.WriteString(` xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc"`)
			}
			var viewBox string
			var sawSize bool
			for _, a := range t.Attr {
				if a.Name.Space != "" {
					continue // xmlns, xlink:href and the like
				}
				if a.Name.Local == "style" {
					for _, decl := range strings.Split(a.Value, ";") {
						k, v, ok := strings.Cut(decl, ":")
						k, v = strings.TrimSpace(k), strings.TrimSpace(v)
						if ok && keep(k, v) && k != "viewBox" {
							writeAttr(&out, k, v)
						}
					}
					continue
				}
				if keep(a.Name.Local, a.Value) {
					writeAttr(&out, a.Name.Local, a.Value)
					if root && a.Name.Local == "viewBox" {
						viewBox = a.Value
					}
					sawSize = sawSize || a.Name.Local == "width"
				}
			}
			if root && !sawSize {
				// An <img> sizes the chart by its own width and height.
				if f := strings.Fields(viewBox); len(f) == 4 {
					writeAttr(&out, "width", f[2])
					writeAttr(&out, "height", f[3])
				}
			}
			out.WriteString(">")
			if root {
				out.WriteString(`<title id="chart-title">`)
				xml.EscapeText(&out, []byte(title))
				out.WriteString(`</title><desc id="chart-desc">`)
				xml.EscapeText(&out, []byte(desc))
				out.WriteString(`</desc>`)
				root = false
			}
		case xml.EndElement:
			if skip > 0 {
				if depth == skip {
					skip = 0
				}
				depth--
				continue
			}
			depth--
			out.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			if skip == 0 && depth > 0 {
				xml.EscapeText(&out, t)
			}
		}
		// Comments, processing instructions and directives (a DOCTYPE
		// with its entities) are left out.
	}
	if root {
		return nil, errors.New("report: the chart has no svg element")
	}
	return out.Bytes(), nil
}

func writeAttr(b *bytes.Buffer, name, value string) {
	b.WriteString(" " + name + `="`)
	xml.EscapeText(b, []byte(value))
	b.WriteString(`"`)
}
