package uitest

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// CSSRules reads a stylesheet's declarations by selector (a rule for
// "a, b" counts for both; later declarations win, as in the cascade).
// Comments are dropped and @media blocks read as if always on: enough for
// the colours, which app.css sets outside media queries.
func CSSRules(css string) map[string]map[string]string {
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	out := map[string]map[string]string{}
	for _, m := range regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(css, -1) {
		for _, sel := range strings.Split(m[1], ",") {
			sel = strings.TrimSpace(sel)
			if out[sel] == nil {
				out[sel] = map[string]string{}
			}
			for _, decl := range strings.Split(m[2], ";") {
				if k, v, ok := strings.Cut(decl, ":"); ok {
					out[sel][strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			}
		}
	}
	return out
}

// HexColor parses #rgb or #rrggbb into 0–255 channels.
func HexColor(s string) ([3]float64, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	var c [3]float64
	if len(s) != 6 {
		return c, false
	}
	for i := range c {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return c, false
		}
		c[i] = float64(v)
	}
	return c, true
}

// contrast is WCAG's contrast ratio of two colours.
func Contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.03928 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	x, y := lum(a), lum(b)
	return (math.Max(x, y) + 0.05) / (math.Min(x, y) + 0.05)
}
